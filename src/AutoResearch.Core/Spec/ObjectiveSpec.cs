using System.Globalization;
using System.Text.RegularExpressions;

namespace AutoResearch.Core.Spec;

/// <summary>The <c>[objective]</c> section: what to optimise and how to read it from the run's output.</summary>
/// <param name="Metric">The metric's name, e.g. <c>val_bpb</c>; it names the second column of results.tsv.</param>
/// <param name="Direction">Whether lower or higher is better.</param>
/// <param name="Pattern">A regex with a <c>value</c> group; the last match in the log wins.</param>
public sealed record ObjectiveSpec(string Metric, Direction Direction, Regex Pattern)
{
    /// <summary>A number as runs print it, including <c>nan</c> and <c>inf</c> so they can be reported as crashes.</summary>
    internal const string NumberPattern = @"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|NaN|inf|Inf|infinity|Infinity)";

    /// <summary>The default pattern: a line <c>&lt;metric&gt;: &lt;number&gt;</c>.</summary>
    public static Regex DefaultPattern(string metric) =>
        new($@"^\s*{Regex.Escape(metric)}:\s*(?<value>{NumberPattern})\s*$", RegexOptions.Multiline | RegexOptions.CultureInvariant);

    /// <summary>True when <paramref name="candidate"/> is strictly better than <paramref name="incumbent"/>.</summary>
    public bool IsBetter(double candidate, double incumbent) =>
        Direction == Direction.Minimize ? candidate < incumbent : candidate > incumbent;

    /// <summary>The improvement of <paramref name="candidate"/> over <paramref name="incumbent"/>, positive when better.</summary>
    public double Improvement(double candidate, double incumbent) =>
        Direction == Direction.Minimize ? incumbent - candidate : candidate - incumbent;

    /// <summary>Parses a number as matched by <see cref="NumberPattern"/>; NaN and infinities come back as such.</summary>
    internal static double ParseNumber(string text)
    {
        var t = text.Trim().TrimStart('+');
        var negative = t.StartsWith('-');
        var body = negative ? t[1..] : t;
        if (body.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            return double.NaN;
        }

        if (body.StartsWith("inf", StringComparison.OrdinalIgnoreCase))
        {
            return negative ? double.NegativeInfinity : double.PositiveInfinity;
        }

        return double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
