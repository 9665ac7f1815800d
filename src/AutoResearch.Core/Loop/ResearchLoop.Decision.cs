using System.Globalization;
using AutoResearch.Core.Acceptance;
using AutoResearch.Core.Records;

namespace AutoResearch.Core.Loop;

/// <summary>Deciding on a measured candidate: the noise-aware rule, confirmations, and rebasing a win found on a stale parent.</summary>
public sealed partial class ResearchLoop
{
    /// <summary>Serialises decisions and branch moves across slots: read the best, decide, move the branch, record.</summary>
    private readonly SemaphoreSlim _decideGate = new(1, 1);

    /// <summary>Serialises finishing an experiment (its row, results.tsv, the observer).</summary>
    private readonly Lock _recordGate = new();

    /// <summary>
    /// Applies the acceptance rule to a candidate with at least one run. Returns the finished record, or the experiment to
    /// measure again (a borderline win to confirm, or a win rebased onto a newer best, with the slot's worktree holding it).
    /// </summary>
    private async Task<(ExperimentRecord? Done, ExperimentRecord? Next)> DecideAsync(
        Session session, Slot slot, ExperimentRecord experiment, CancellationToken cancellationToken)
    {
        Verdict verdict;
        string bestCommit;
        await _decideGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var all = session.Experiments();
            var best = session.Best() ?? throw new InvalidOperationException("no baseline");
            bestCommit = best.CandidateCommit ?? best.ParentCommit;
            var noise = NoiseOf(all);
            var sigma = noise.Sigma;
            verdict = AcceptanceRule.Decide(
                _spec.Acceptance, _spec.Objective, sigma, best.Metric!.Value, experiment.Runs.Select(r => r.Value).ToList(),
                AcceptanceRule.IsNetDeletion(experiment.Patch), noise.Degrees);
            verdict = CostRule.Apply(verdict, _spec, experiment, CostRatio.Parent(experiment, all) ?? best);
            var reason = experiment.RebasedFrom is { } from
                ? $"{verdict.Reason} (rebased onto {experiment.ParentCommit[..7]} from {from[..7]}, won on a stale parent)"
                : verdict.Reason;
            if (sigma == 0 && SeedIgnored(experiment) is { } ignored)
            {
                reason += "; warning: " + ignored;
                if (Interlocked.Exchange(ref _seedIgnoredSaid, 1) == 0)
                {
                    _observer.OnMessage("warning: " + ignored);
                }
            }
            experiment = experiment with { Sigma = sigma, Threshold = verdict.Threshold, Margin = verdict.Margin, Decision = reason };
            switch (verdict.Outcome)
            {
                case VerdictOutcome.Confirm:
                    Save(session, experiment);
                    _observer.OnMessage($"experiment {experiment.Seq}: {verdict.Reason}");
                    return (null, experiment);
                case VerdictOutcome.Discard:
                    var discarded = Finish(session, experiment with { Status = ExperimentStatus.Discard });
                    await slot.ResetAsync(bestCommit, cancellationToken).ConfigureAwait(false);
                    return (discarded, null);
                case VerdictOutcome.Keep when bestCommit == experiment.ParentCommit:
                    Save(session, experiment);
                    var (branch, candidate, parent) = (session.Run.Branch, experiment.CandidateCommit!, experiment.ParentCommit);
                    await _guard!.MoveAsync(
                        "refs/heads/" + branch,
                        candidate,
                        () => _workspace.AdvanceBranchAsync(branch, candidate, parent, cancellationToken),
                        cancellationToken).ConfigureAwait(false);
                    var kept = Finish(session, experiment with { Status = ExperimentStatus.Keep });
                    slot.Holds(experiment.CandidateCommit);
                    return (kept, null);
                default:
                    // A win on a parent that is no longer the best: rebase it below, outside the gate.
                    break;
            }
        }
        finally
        {
            _decideGate.Release();
        }

        var original = experiment.CandidateCommit!;
        var stale = $"{verdict.Reason} on parent {experiment.ParentCommit[..7]}, no longer the best";
        var rebased = await slot.Worktree.RebaseAsync(original, bestCommit, CommitMessage(experiment.Seq, (experiment.Description ?? "") + " (rebased)"), cancellationToken)
            .ConfigureAwait(false);
        if (rebased is null)
        {
            slot.Holds(bestCommit);
            var discarded = Finish(session, experiment with
            {
                Status = ExperimentStatus.Discard,
                Decision = $"{stale}; it conflicts with the new best {bestCommit[..7]} (or is already in it), discarded",
            });
            return (discarded, null);
        }

        slot.Holds(rebased.Commit);
        experiment = experiment with
        {
            ParentCommit = bestCommit,
            CandidateCommit = rebased.Commit,
            Patch = rebased.Patch,
            ChangedPaths = rebased.ChangedPaths,
            RebasedFrom = experiment.RebasedFrom ?? original,
            Runs = [],
            Metric = null,
            // What the runs on the old parent cost, and where they ran, is not what the rebased code costs.
            Cost = null,
            Conditions = null,
            Attempts = 0,
            Decision = $"{stale}; rebased onto {bestCommit[..7]}, confirming there",
        };
        Save(session, experiment);
        _observer.OnMessage($"experiment {experiment.Seq}: {experiment.Decision}");
        return (null, experiment);
    }

    /// <summary>
    /// The noise σ: <c>[acceptance] sigma</c> when set, else measured from the repeated runs of the same code (the baseline's
    /// repeats, and the confirmation runs of a candidate after its first run, which was selected for looking good and would
    /// inflate σ). 0 when nothing was repeated.
    /// </summary>
    private double Sigma(IEnumerable<ExperimentRecord> experiments) => NoiseOf(experiments).Sigma;

    /// <summary>σ with its degrees of freedom (a configured σ counts as known exactly; nothing repeated is σ 0).</summary>
    private NoiseEstimate NoiseOf(IEnumerable<ExperimentRecord> experiments)
    {
        if (_spec.Acceptance.Sigma is { } fixedSigma)
        {
            return new NoiseEstimate(fixedSigma, int.MaxValue);
        }

        return Noise.Estimate(Unselected(experiments).Select(runs => (IReadOnlyList<double>)runs.Select(r => r.Value).ToList()))
            ?? new NoiseEstimate(0, 0);
    }

    /// <summary>
    /// How the baseline's noise reads in its decision, and the warning when it was not measured: repeats that are identical
    /// to the last digit mean the code ignores the seed it is given (or prints too few digits), so σ is 0 and every win must
    /// be confirmed; a single run leaves σ unknown, with the same consequence.
    /// </summary>
    private (string Sigma, string? Warning) NoiseNote(ExperimentRecord baseline, double sigma)
    {
        var inv = CultureInfo.InvariantCulture;
        var runs = baseline.Runs;
        if (runs.Count >= 2 && runs.All(r => r.Value.Equals(runs[0].Value)))
        {
            var seeds = string.Join(", ", runs.Select(r => r.Seed.ToString(inv)));
            var value = runs[0].Value.ToString(inv);
            var until = _spec.Acceptance.Sigma is null && _spec.Acceptance.Confirm
                ? "; until then every apparent win is confirmed on a fresh seed before it is kept" : "";
            return (sigma > 0 ? sigma.ToString("0.000000", inv) : "0",
                $"the baseline's {runs.Count} runs (seeds {seeds}) gave the same {_spec.Objective.Metric} ({value}) to the last digit: " +
                $"the code ignores the seed it is given, so the run-to-run noise is not measured. Wire the seed in: put {Spec.RunSpec.SeedPlaceholder} " +
                "in [run] command (e.g. `python train.py --seed={seed}`) or read AUTORESEARCH_SEED where the code seeds itself " +
                "(and print the metric with all its digits)" + until);
        }

        if (sigma > 0)
        {
            return (sigma.ToString("0.000000", inv), null);
        }

        return _spec.Acceptance.Sigma is null && _spec.Acceptance.Confirm
            ? ("unknown (every apparent win is confirmed on a fresh seed; [acceptance] baseline_repeats = 3 measures σ)", null)
            : ("unknown", null);
    }

    /// <summary>Whether the warning that a confirmation repeated its first run to the last digit was said (once a run).</summary>
    private int _seedIgnoredSaid;

    /// <summary>
    /// With σ unmeasured, a confirmation on a fresh seed that gives its first run's value to the last digit is the first sign
    /// that the code ignores the seed it is given (a single baseline run cannot show it): the warning then, null otherwise.
    /// </summary>
    private string? SeedIgnored(ExperimentRecord experiment)
    {
        var runs = experiment.Runs;
        if (_spec.Acceptance.Sigma is not null || runs.Count < 2 || runs.Select(r => r.Seed).Distinct().Count() < 2
            || !runs.All(r => r.Value.Equals(runs[0].Value)))
        {
            return null;
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"experiment {experiment.Seq}'s runs on seeds {string.Join(", ", runs.Select(r => r.Seed))} gave the same {_spec.Objective.Metric} ({runs[0].Value}) " +
            $"to the last digit: the code seems to ignore the seed it is given, so a confirmation cannot tell luck from a real gain. Wire the seed in: " +
            $"put {Spec.RunSpec.SeedPlaceholder} in [run] command (e.g. `python train.py --seed={{seed}}`) or read AUTORESEARCH_SEED where the code seeds itself");
    }

    /// <summary>The early-stopping rule for a run compared with <paramref name="best"/>.</summary>
    private EarlyStopRule EarlyStopFor(Session session, ExperimentRecord best)
    {
        var all = session.Experiments();
        var curves = best.Runs.Count > 0 ? best.Runs.Select(r => r.Curve).Where(c => c.Count > 0).ToList() : [best.Curve];
        var curveSigma = Noise.CurveSigma(
            Unselected(all).Select(runs => (IReadOnlyList<IReadOnlyList<Running.CurvePoint>>)runs.Select(r => r.Curve).ToList()),
            _spec.EarlyStop.MinFraction * 100);
        return new EarlyStopRule(_spec.EarlyStop, Noise.MeanCurve(curves), curveSigma ?? Sigma(all));
    }

    /// <summary>Groups of runs of the same code that were not selected on their outcome.</summary>
    private static IEnumerable<IReadOnlyList<Measurement>> Unselected(IEnumerable<ExperimentRecord> experiments) =>
        experiments
            .Select(e => e.IsBaseline ? e.Runs : e.Runs.Skip(1).ToList())
            .Where(runs => runs.Count >= 2);
}
