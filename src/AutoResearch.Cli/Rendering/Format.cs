using System.Globalization;
using AutoResearch.Core.Records;

namespace AutoResearch.Cli.Rendering;

/// <summary>How numbers, commits and statuses read in the terminal.</summary>
internal static class Format
{
    public static string Metric(double? value) => value is { } v ? v.ToString("0.000000", CultureInfo.InvariantCulture) : "-";

    /// <summary>A difference with its sign, e.g. <c>+0.012300</c>.</summary>
    public static string Signed(double value) => value.ToString("+0.000000;-0.000000;0", CultureInfo.InvariantCulture);

    public static string Seconds(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) + "s" : "-";

    public static string MemoryGb(double? mb) => mb is { } v ? (v / 1024).ToString("0.0", CultureInfo.InvariantCulture) : "-";

    /// <summary>A token count, e.g. <c>480</c>, <c>12.3k</c>, <c>1.2M</c>; <c>-</c> when not recorded.</summary>
    public static string Tokens(long? count) => count switch
    {
        null => "-",
        < 10_000 => count.Value.ToString(CultureInfo.InvariantCulture),
        < 1_000_000 => (count.Value / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        _ => (count.Value / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M",
    };

    /// <summary>The tokens an experiment's proposer spent (read plus written), or null when it used no model.</summary>
    public static long? TotalTokens(ExperimentRecord e) =>
        e.InputTokens is null && e.OutputTokens is null ? null : (e.InputTokens ?? 0) + (e.OutputTokens ?? 0);

    /// <summary>An experiment's cost per run in words, e.g. <c>61.2s, 2.4M tokens, 750 iterations, 0.8M params, 412 MB, 40k tokens/s</c>.</summary>
    public static string Cost(ExperimentCost cost)
    {
        static string Count(double v) => v >= 1e6 ? (v / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + "M"
            : v >= 1e4 ? (v / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k"
            : v.ToString("0.##", CultureInfo.InvariantCulture);
        var parts = new List<string>();
        if (cost.Seconds is { } s)
        {
            parts.Add(Seconds(s));
        }

        if (cost.Tokens is { } t)
        {
            parts.Add(Count(t) + " tokens");
        }

        if (cost.Iterations is { } i)
        {
            parts.Add(Count(i) + " iterations");
        }

        if (cost.Params is { } p)
        {
            parts.Add(Count(p) + " params");
        }

        if (cost.MemoryMb is { } m)
        {
            parts.Add(m.ToString("0", CultureInfo.InvariantCulture) + " MB");
        }

        if (cost.TokensPerSecond is { } r)
        {
            parts.Add(Count(r) + " tokens/s");
        }

        return string.Join(", ", parts) + (cost.Runs > 1 ? $" (mean of {cost.Runs} runs)" : "");
    }

    public static string Commit(string? commit) => commit is { Length: >= 7 } c ? c[..7] : "-";

    public static string Status(ExperimentRecord e) => e.Status is { } s ? Ledger.Name(s) : e.Phase.ToString().ToLowerInvariant();

    public static string Color(ExperimentRecord e) => e.Status switch
    {
        ExperimentStatus.Keep => "green",
        ExperimentStatus.Discard => "grey",
        ExperimentStatus.Rejected => "magenta",
        ExperimentStatus.Timeout => "yellow",
        ExperimentStatus.Crash => "red",
        ExperimentStatus.Stopped => "olive",
        _ => "blue",
    };
}
