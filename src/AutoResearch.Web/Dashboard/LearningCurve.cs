using System.Globalization;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Web.Html;

namespace AutoResearch.Web.Dashboard;

/// <summary>An experiment's learning curve as a small inline SVG: progress (%) on x, the curve's value on y.</summary>
internal static class LearningCurve
{
    private const double Width = 600, Height = 220, Left = 56, Right = 10, Top = 10, Bottom = 24;

    public static HtmlText Svg(ExperimentRecord experiment)
    {
        var curves = experiment.Runs.Select(r => r.Curve).Where(c => c.Count > 1).ToList();
        if (curves.Count == 0 && experiment.Curve.Count > 1)
        {
            curves.Add(experiment.Curve);
        }

        var points = curves.SelectMany(c => c).Where(p => double.IsFinite(p.Value) && double.IsFinite(p.Progress)).ToList();
        if (points.Count < 2)
        {
            return HtmlText.Empty;
        }

        double low = points.Min(p => p.Value), high = points.Max(p => p.Value);
        if (high - low < 1e-12)
        {
            low -= 0.5;
            high += 0.5;
        }

        var lines = curves.Select((c, i) => Markup.Of(
            $"<polyline class=\"curve c{i % 4}\" points=\"{string.Join(' ', c.Where(p => double.IsFinite(p.Value)).Select(p => Point(p, low, high)))}\"/>"));
        return Markup.Of($"""
            <svg class="curve" viewBox="0 0 {Width} {Height}" role="img" aria-label="learning curve">
            <line class="axis" x1="{Left}" y1="{Height - Bottom}" x2="{Width - Right}" y2="{Height - Bottom}"/>
            <line class="axis" x1="{Left}" y1="{Top}" x2="{Left}" y2="{Height - Bottom}"/>
            <text x="{Left - 4}" y="{Top + 10}" text-anchor="end">{Label(high)}</text>
            <text x="{Left - 4}" y="{Height - Bottom}" text-anchor="end">{Label(low)}</text>
            <text x="{Left}" y="{Height - 6}">0%</text>
            <text x="{Width - Right}" y="{Height - 6}" text-anchor="end">100%</text>
            {lines}
            </svg>
            """);
    }

    private static string Point(CurvePoint p, double low, double high)
    {
        var x = Left + Math.Clamp(p.Progress, 0, 100) / 100 * (Width - Left - Right);
        var y = Top + (high - p.Value) / (high - low) * (Height - Top - Bottom);
        return string.Create(CultureInfo.InvariantCulture, $"{x:0.#},{y:0.#}");
    }

    private static string Label(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}
