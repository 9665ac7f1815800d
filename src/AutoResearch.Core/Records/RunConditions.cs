namespace AutoResearch.Core.Records;

/// <summary>
/// Where and how an experiment ran: the tool's version, the machine, and how busy the machine was during its runs.
/// A wall-clock budget buys less training on a busy machine, so these say whether two results are comparable.
/// </summary>
public sealed record RunConditions
{
    /// <summary>The autoresearch version that ran it.</summary>
    public string? ToolVersion { get; init; }

    /// <summary>The CPU model (from <c>/proc/cpuinfo</c>), null where unknown.</summary>
    public string? Cpu { get; init; }

    /// <summary>Logical processors available to the harness.</summary>
    public int Cores { get; init; }

    /// <summary>The machine's 1-minute load average sampled during the runs (their mean), null where unknown.</summary>
    public double? Load { get; init; }

    /// <summary>How many runs <see cref="Load"/> is the mean of.</summary>
    public int Runs { get; init; } = 1;

    /// <summary>Warnings about the runs (a busy machine, a throughput far from the baseline's), oldest first.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>These conditions after one more run, its load averaged in and its warnings appended.</summary>
    public static RunConditions Add(RunConditions? sofar, RunConditions run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (sofar is null)
        {
            return run with { Runs = 1 };
        }

        var n = sofar.Runs;
        return run with
        {
            Load = (sofar.Load, run.Load) switch
            {
                ({ } a, { } b) => Running.CostReader.Finite(a + ((b - a) / (n + 1))),
                (null, _) => run.Load,
                _ => sofar.Load,
            },
            Runs = n + 1,
            Warnings = [.. sofar.Warnings, .. run.Warnings],
        };
    }
}
