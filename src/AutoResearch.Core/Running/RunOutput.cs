using System.Text.RegularExpressions;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Running;

/// <summary>
/// What the harness reads from a run's log: the metric (last match of the objective's pattern), the
/// <c>key: value</c> lines of the last block after a <c>---</c> line, and the progress curve.
/// </summary>
/// <param name="Metric">The metric's value, null when never printed; NaN or infinite when the run printed so.</param>
/// <param name="Metrics">Every numeric <c>key: value</c> of the summary block, the metric included.</param>
/// <param name="Curve">The learning curve in the order printed.</param>
public sealed record RunOutput(double? Metric, IReadOnlyDictionary<string, double> Metrics, IReadOnlyList<CurvePoint> Curve)
{
    private static readonly Regex s_keyValue = new(
        $@"^\s*(?<key>[A-Za-z_][A-Za-z0-9_.]*)\s*:\s*(?<value>{ObjectiveSpec.NumberPattern})\s*$",
        RegexOptions.CultureInvariant);

    /// <summary>Parses <paramref name="log"/> as the spec says.</summary>
    public static RunOutput Parse(string log, ObjectiveSpec objective, Regex progress)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(progress);

        double? metric = null;
        var last = objective.Pattern.Matches(log).LastOrDefault();
        if (last is not null)
        {
            metric = ObjectiveSpec.ParseNumber(last.Groups["value"].Value);
        }

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        var lines = log.Split('\n');
        var block = Array.FindLastIndex(lines, l => l.TrimEnd('\r').Trim() == "---");
        if (block >= 0)
        {
            foreach (var line in lines.AsSpan(block + 1))
            {
                var m = s_keyValue.Match(line.TrimEnd('\r'));
                if (m.Success)
                {
                    metrics[m.Groups["key"].Value] = ObjectiveSpec.ParseNumber(m.Groups["value"].Value);
                }
            }
        }

        if (metric is { } value)
        {
            metrics[objective.Metric] = value;
        }

        var curve = new List<CurvePoint>();
        foreach (Match m in progress.Matches(log))
        {
            var pct = ObjectiveSpec.ParseNumber(m.Groups["progress"].Value);
            var loss = ObjectiveSpec.ParseNumber(m.Groups["value"].Value);
            if (double.IsFinite(pct))
            {
                curve.Add(new CurvePoint(pct, loss));
            }
        }

        return new RunOutput(metric, metrics, curve);
    }
}
