using System.Globalization;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Running;

/// <summary>Everything one run of the experiment command produced.</summary>
/// <param name="ExitCode">The command's exit code (-1 when killed).</param>
/// <param name="TimedOut">Killed at the hard timeout.</param>
/// <param name="Cancelled">Killed because the harness was interrupted.</param>
/// <param name="Wall">Wall-clock duration.</param>
/// <param name="PeakMemoryMb">Peak memory: the run's own report where it prints one, else the sampled peak RSS of its process group.</param>
/// <param name="Output">The parsed metric, summary metrics and curve.</param>
/// <param name="LogPath">The full log.</param>
/// <param name="LogTail">The last lines of the log, for crash reports and prompts.</param>
public sealed record RunResult(
    int ExitCode,
    bool TimedOut,
    bool Cancelled,
    TimeSpan Wall,
    double PeakMemoryMb,
    RunOutput Output,
    string LogPath,
    string LogTail)
{
    /// <summary>Stopped early on its learning curve (its process group was killed); it has no metric.</summary>
    public bool Stopped { get; init; }

    /// <summary>Set when the run was stopped because at its pace it could not finish before the timeout (it counts as timed out): why.</summary>
    public string? Overrun { get; init; }

    /// <summary>Set when a sandbox limit stopped the run (memory, processes): what and which setting to change.</summary>
    public string? LimitFailure { get; init; }

    /// <summary>Set when trusted scoring failed: the scorer crashed, or the model broke its rules (see <see cref="ScoreViolation"/>).</summary>
    public string? ScoreFailure { get; init; }

    /// <summary>True when <see cref="ScoreFailure"/> is the model breaking the rules (it looks ahead, or its answers are not distributions).</summary>
    public bool ScoreViolation { get; init; }

    /// <summary>A warning about a run that did produce a metric, e.g. a self-reported metric that disagrees with the trusted one.</summary>
    public string? Flag { get; init; }

    /// <summary>The metric when the run finished cleanly and printed (or was scored to) a finite one; otherwise null.</summary>
    public double? Metric => !TimedOut && !Cancelled && !Stopped && ExitCode == 0 && LimitFailure is null && ScoreFailure is null
        && Output.Metric is { } m && double.IsFinite(m) ? m : null;

    /// <summary>True when the run was in the bwrap sandbox (<c>[run] sandbox = "bwrap"</c>), which a failure message then says.</summary>
    public bool Sandboxed { get; init; }

    /// <summary>What the run cost: wall time, the tokens, iterations and parameters it printed, peak memory, throughput.</summary>
    public ExperimentCost? Cost { get; init; }

    /// <summary>The tool's version, the machine, and its mean load while the run went on.</summary>
    public RunConditions? Conditions { get; init; }

    /// <summary>Processes of the run that had left its process group and outlived it (killed), as <c>PID (name)</c>.</summary>
    public IReadOnlyList<string> Escaped { get; init; } = [];

    /// <summary>Why the run failed (crash, timeout, tampering, a sandbox limit, trusted scoring, no metric), or a null status when it produced a usable metric.</summary>
    /// <param name="spec">The spec the run was made under.</param>
    /// <param name="tampered">Read-only files the run changed.</param>
    public (ExperimentStatus? Status, string? Error) Judge(ResearchSpec spec, IReadOnlyList<string>? tampered = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        tampered ??= [];
        var result = this;
        var metric = spec.Objective.Metric;
        var tail = result.LogTail.Split('\n');
        // An unhandled .NET exception ends in stack frames; its first line says what happened.
        var lastLine = tail.LastOrDefault(l => l.StartsWith("Unhandled exception.", StringComparison.Ordinal)) ?? tail.LastOrDefault() ?? "";
        if (tampered.Count > 0)
        {
            return (ExperimentStatus.Crash, $"integrity: the run changed read-only files: {string.Join(", ", tampered)}");
        }

        if (result.Stopped)
        {
            return (null, null);
        }

        if (result.TimedOut)
        {
            return (ExperimentStatus.Timeout, result.Overrun ?? $"killed after the {spec.Run.Timeout.TotalSeconds:0} s timeout ([run] timeout_seconds)");
        }

        if (result.LimitFailure is { } limit)
        {
            return (ExperimentStatus.Crash, $"{limit} (exit code {result.ExitCode})");
        }

        if (result.ExitCode != 0)
        {
            return (ExperimentStatus.Crash, $"exit code {result.ExitCode} (last line: {lastLine})" +
                (result.Sandboxed
                    ? "; it ran in the bwrap sandbox (read-only root, private /tmp, the workspace's state hidden): the first line of its log lists what it could see and write; a path it needs elsewhere under /tmp is not there"
                    : ""));
        }

        if (result.ScoreFailure is { } scoring)
        {
            // A model that looks ahead or answers non-distributions broke the rules; a scorer that crashed did not.
            return (result.ScoreViolation ? ExperimentStatus.Rejected : ExperimentStatus.Crash, scoring);
        }

        if (result.Output.Metric is not { } value)
        {
            return (ExperimentStatus.Crash,
                $"no metric `{metric}` in {result.LogPath} (last line: {lastLine}); check [objective] pattern in {ResearchSpec.FileName}");
        }

        if (!double.IsFinite(value))
        {
            return (ExperimentStatus.Crash, $"{metric} was {value.ToString(CultureInfo.InvariantCulture)}");
        }

        return (null, null);
    }
}
