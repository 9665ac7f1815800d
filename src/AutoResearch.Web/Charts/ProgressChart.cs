using AutoResearch.Core.Spec;
using ScottPlot;

namespace AutoResearch.Web.Charts;

/// <summary>
/// Draws research progress the way karpathy's notebook does: experiments on x, the metric on y, discarded runs
/// grey, kept ones green and labelled, the running best as a step line, and runs without a metric (crashes,
/// timeouts, early stops, rejections) marked along the top. The same drawing serves a run's ledger and the swarm's chain.
/// </summary>
public static class ProgressChart
{
    /// <summary>Labels of kept points are cut to this many characters.</summary>
    public const int LabelLength = 32;

    /// <summary>The green of kept points and the running best (<c>#2CA02C</c>); tests look for it in the image.</summary>
    public static readonly Color KeptColor = Color.FromHex("#2CA02C");

    /// <summary>The grey of discarded points (<c>#9A9A9A</c>).</summary>
    public static readonly Color DiscardedColor = Color.FromHex("#9A9A9A");

    private static readonly Dictionary<ProgressMark, (MarkerShape Shape, Color Color, string Legend)> s_failureStyles = new()
    {
        [ProgressMark.Crashed] = (MarkerShape.Eks, Color.FromHex("#D62728"), "crash"),
        [ProgressMark.TimedOut] = (MarkerShape.FilledDiamond, Color.FromHex("#FF7F0E"), "timeout"),
        [ProgressMark.Stopped] = (MarkerShape.FilledTriangleDown, Color.FromHex("#8C564B"), "stopped early"),
        [ProgressMark.Rejected] = (MarkerShape.FilledSquare, Color.FromHex("#9467BD"), "rejected"),
    };

    /// <summary>The chart as a PNG image of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public static byte[] Png(ProgressSeries series, int width = 1200, int height = 600)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 200);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 150);
        return Build(series).GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>The chart as an SVG document of <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public static string Svg(ProgressSeries series, int width = 1200, int height = 600)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 200);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 150);
        return Build(series).GetSvgXml(width, height);
    }

    /// <summary>The running best after each kept point, in index order (the step line).</summary>
    public static IReadOnlyList<(int Index, double Best)> RunningBest(ProgressSeries series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var steps = new List<(int, double)>();
        double? best = null;
        foreach (var p in series.Points.Where(p => p.Mark == ProgressMark.Kept && p.Metric is { } m && double.IsFinite(m)).OrderBy(p => p.Index))
        {
            var m = p.Metric!.Value;
            if (best is null || (series.Direction == Direction.Minimize ? m < best : m > best))
            {
                best = m;
                steps.Add((p.Index, m));
            }
        }

        return steps;
    }

    private static Plot Build(ProgressSeries series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.Title(series.Title ?? "");
        plot.XLabel(series.XLabel);
        plot.YLabel($"{series.Metric} ({(series.Direction == Direction.Minimize ? "lower" : "higher")} is better)");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };

        var points = series.Points.OrderBy(p => p.Index).ToList();
        var measured = points.Where(p => p.Metric is { } m && double.IsFinite(m) && p.Mark is ProgressMark.Kept or ProgressMark.Discarded).ToList();
        var (low, high) = Limits(series, measured);
        var span = high - low;
        var failureRow = high + span * 0.10;
        var top = high + span * 0.18;
        var last = points.Count > 0 ? points[^1].Index : 1;
        var first = points.Count > 0 ? points[0].Index : 0;

        var discarded = measured.Where(p => p.Mark == ProgressMark.Discarded).ToList();
        if (discarded.Count > 0)
        {
            // Runs far worse than the rest are drawn on the edge so they do not squash the interesting range.
            var dots = plot.Add.ScatterPoints(
                discarded.Select(p => (double)p.Index).ToArray(),
                discarded.Select(p => Math.Clamp(p.Metric!.Value, low, high)).ToArray(),
                DiscardedColor);
            dots.MarkerSize = 7;
            dots.LegendText = "discarded";
        }

        var steps = RunningBest(series);
        if (steps.Count > 0)
        {
            var xs = steps.Select(s => (double)s.Index).Append(last).ToArray();
            var ys = steps.Select(s => s.Best).Append(steps[^1].Best).ToArray();
            var line = plot.Add.Scatter(xs, ys, KeptColor);
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LegendText = "running best";
        }

        var kept = measured.Where(p => p.Mark == ProgressMark.Kept).ToList();
        if (kept.Count > 0)
        {
            var dots = plot.Add.ScatterPoints(
                kept.Select(p => (double)p.Index).ToArray(),
                kept.Select(p => Math.Clamp(p.Metric!.Value, low, high)).ToArray(),
                KeptColor);
            dots.MarkerSize = 11;
            dots.LegendText = "kept";
            foreach (var p in kept.Where(p => !string.IsNullOrWhiteSpace(p.Label)))
            {
                var label = plot.Add.Text(Shorten(p.Label!), p.Index, Math.Clamp(p.Metric!.Value, low, high));
                label.LabelFontSize = 11;
                label.LabelFontColor = Color.FromHex("#1B5E20");
                label.LabelRotation = -25;
                label.LabelAlignment = Alignment.LowerLeft;
                label.OffsetX = 6;
                label.OffsetY = -4;
            }
        }

        foreach (var (mark, style) in s_failureStyles)
        {
            var failed = points.Where(p => p.Mark == mark).ToList();
            if (failed.Count == 0)
            {
                continue;
            }

            var markers = plot.Add.Markers(
                failed.Select(p => (double)p.Index).ToArray(),
                failed.Select(_ => failureRow).ToArray(),
                style.Shape, 9, style.Color);
            markers.LegendText = style.Legend;
        }

        // A label on one of the last points runs to the right: leave it room rather than cut it at the frame.
        var right = Math.Max(last, first + 1) + 0.5;
        var width = right - first;
        if (kept.Any(p => !string.IsNullOrWhiteSpace(p.Label) && p.Index >= last - width * 0.2))
        {
            right += width * 0.15;
        }

        plot.Axes.SetLimits(first - 0.5, right, low - span * 0.05, top);
        // The corner the points move away from: lower left when lower is better, lower right otherwise.
        plot.ShowLegend(series.Direction == Direction.Minimize ? Alignment.LowerLeft : Alignment.LowerRight);
        return plot;
    }

    /// <summary>The y range: every kept point, and discarded ones unless they are far worse than the worst kept one.</summary>
    private static (double Low, double High) Limits(ProgressSeries series, List<ProgressPoint> measured)
    {
        if (measured.Count == 0)
        {
            return (0, 1);
        }

        var kept = measured.Where(p => p.Mark == ProgressMark.Kept).Select(p => p.Metric!.Value).ToList();
        var all = measured.Select(p => p.Metric!.Value).ToList();
        double low = all.Min(), high = all.Max();
        if (kept.Count > 0)
        {
            // Keep the worse side to within twice the kept range (or 20% of the baseline's magnitude) beyond the kept points.
            var keptSpan = Math.Max(kept.Max() - kept.Min(), Math.Abs(kept[0]) * 0.1);
            if (series.Direction == Direction.Minimize)
            {
                high = Math.Min(high, kept.Max() + 2 * keptSpan);
            }
            else
            {
                low = Math.Max(low, kept.Min() - 2 * keptSpan);
            }
        }

        if (high - low < 1e-12)
        {
            var pad = Math.Max(Math.Abs(high) * 0.05, 1e-3);
            return (low - pad, high + pad);
        }

        return (low, high);
    }

    private static string Shorten(string label)
    {
        var line = label.ReplaceLineEndings(" ").Trim();
        return line.Length <= LabelLength ? line : line[..(LabelLength - 1)] + "…";
    }
}
