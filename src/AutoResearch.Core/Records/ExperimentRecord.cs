using AutoResearch.Core.Running;

namespace AutoResearch.Core.Records;

/// <summary>One experiment as the ledger holds it. Immutable; update with <c>with</c> and <see cref="Ledger.Save"/>.</summary>
public sealed record ExperimentRecord
{
    /// <summary>The ledger's id, unique across runs; names the run folder <c>.autoresearch/runs/&lt;id&gt;</c>.</summary>
    public long Id { get; init; }

    public required string Tag { get; init; }

    /// <summary>Position in the run: 0 is the baseline, proposals count from 1.</summary>
    public required int Seq { get; init; }

    public bool IsBaseline => Seq == 0;

    public required ExperimentPhase Phase { get; init; }

    /// <summary>Set once <see cref="Phase"/> is <see cref="ExperimentPhase.Done"/>.</summary>
    public ExperimentStatus? Status { get; init; }

    /// <summary>The best commit the proposal started from.</summary>
    public required string ParentCommit { get; init; }

    /// <summary>The commit of the proposed change (the parent itself for a baseline).</summary>
    public string? CandidateCommit { get; init; }

    public string? Description { get; init; }

    /// <summary>The proposer's name (<c>cli</c>, <c>search</c>, ...), or <c>baseline</c>.</summary>
    public required string Proposer { get; init; }

    /// <summary>The full patch from parent to candidate; never lost, whatever the status.</summary>
    public string? Patch { get; init; }

    public IReadOnlyList<string> ChangedPaths { get; init; } = [];

    /// <summary>The objective's value, when the run produced a finite one.</summary>
    public double? Metric { get; init; }

    /// <summary>Every metric the run printed in its summary block.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    public IReadOnlyList<CurvePoint> Curve { get; init; } = [];

    public int? ExitCode { get; init; }

    public double? PeakMemoryMb { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Seconds the proposer took.</summary>
    public double? ProposeSeconds { get; init; }

    /// <summary>Seconds the run took, wall clock.</summary>
    public double? RunSeconds { get; init; }

    public string? LogPath { get; init; }

    /// <summary>Why it crashed or was rejected, in a sentence a user can act on.</summary>
    public string? Error { get; init; }

    /// <summary>How many times a run of this candidate was started (a resume after a kill starts it again).</summary>
    public int Attempts { get; init; }

    public required int Seed { get; init; }

    /// <summary>
    /// Every finished run of this code (baseline repeats, the first run, confirmations), oldest first. When there are
    /// several, <see cref="Metric"/> is their mean.
    /// </summary>
    public IReadOnlyList<Measurement> Runs { get; init; } = [];

    /// <summary>The noise σ of the metric the decision used (0 when unknown).</summary>
    public double? Sigma { get; init; }

    /// <summary>The improvement a keep had to beat: max(<c>min_delta</c>, z·σ).</summary>
    public double? Threshold { get; init; }

    /// <summary>The candidate's improvement over the best at the decision (positive is better), in metric units.</summary>
    public double? Margin { get; init; }

    /// <summary>Why it was kept, discarded or stopped, in words (e.g. "confirmed: mean of 2 runs beat the best by 0.0120 &gt; 0.0080").</summary>
    public string? Decision { get; init; }

    /// <summary>When a win on a stale parent was rebased onto the new best: the original candidate commit.</summary>
    public string? RebasedFrom { get; init; }

    /// <summary>The parallel slot that ran it (0 without <c>--parallel</c>).</summary>
    public int Slot { get; init; }

    /// <summary>Tokens the proposer's model read for this experiment (null for proposers without a model).</summary>
    public long? InputTokens { get; init; }

    /// <summary>Tokens the proposer's model wrote for this experiment (null for proposers without a model).</summary>
    public long? OutputTokens { get; init; }

    /// <summary>What a run of it cost (the mean over its runs): time, tokens, iterations, parameters, memory, throughput.</summary>
    public ExperimentCost? Cost { get; init; }

    /// <summary>The tool's version, the machine and its load during the runs, and warnings about them.</summary>
    public RunConditions? Conditions { get; init; }
}
