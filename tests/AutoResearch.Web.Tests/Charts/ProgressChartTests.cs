using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using AutoResearch.Web.Charts;
using SkiaSharp;

namespace AutoResearch.Web.Tests.Charts;

public sealed class ProgressChartTests
{
    [Fact]
    public void Png_of_a_known_ledger_has_its_size_and_shows_kept_points_in_green()
    {
        using var dir = new TempFolder();
        var series = KnownSeries(dir.Path);

        var png = ProgressChart.Png(series, 900, 500);
        File.WriteAllBytes(System.IO.Path.Combine(dir.Path, "progress.png"), png);

        using var bitmap = SKBitmap.Decode(png);
        Assert.NotNull(bitmap);
        Assert.Equal(900, bitmap.Width);
        Assert.Equal(500, bitmap.Height);
        var colours = Histogram(bitmap);
        Assert.True(colours.Count > 10, $"only {colours.Count} colours: the image is close to empty");
        var green = Near(colours, ProgressChart.KeptColor);
        var grey = Near(colours, ProgressChart.DiscardedColor);
        Assert.True(green > 200, $"{green} pixels of the kept green");
        Assert.True(grey > 50, $"{grey} pixels of the discarded grey");
    }

    [Fact]
    public void Png_without_kept_points_has_no_kept_green()
    {
        var series = new ProgressSeries("score", Direction.Minimize, [
            new ProgressPoint(1, 3.0, ProgressMark.Discarded), new ProgressPoint(2, 2.5, ProgressMark.Discarded), new ProgressPoint(3, null, ProgressMark.Crashed)]);

        using var bitmap = SKBitmap.Decode(ProgressChart.Png(series, 600, 400));

        Assert.Equal(0, Near(Histogram(bitmap), ProgressChart.KeptColor));
    }

    [Theory]
    [InlineData(Direction.Minimize)]
    [InlineData(Direction.Maximize)]
    public void Running_best_steps_only_at_improving_kept_points(Direction direction)
    {
        var series = new ProgressSeries("m", direction, [
            new ProgressPoint(0, 5.0, ProgressMark.Kept), new ProgressPoint(1, 5.0, ProgressMark.Kept),
            new ProgressPoint(2, 1.0, ProgressMark.Discarded), new ProgressPoint(3, 3.0, ProgressMark.Kept),
            new ProgressPoint(4, 6.0, ProgressMark.Kept), new ProgressPoint(5, null, ProgressMark.Crashed)]);

        var steps = ProgressChart.RunningBest(series);

        var expected = direction == Direction.Minimize ? new[] { (0, 5.0), (3, 3.0) } : [(0, 5.0), (4, 6.0)];
        Assert.Equal(expected, steps);
    }

    [Fact]
    public void Svg_escapes_labels_from_untrusted_descriptions()
    {
        var series = new ProgressSeries("score", Direction.Minimize, [
            new ProgressPoint(0, 3.0, ProgressMark.Kept, "baseline"), new ProgressPoint(1, 2.0, ProgressMark.Kept, "<script>alert(1)</script>")]);

        var svg = ProgressChart.Svg(series, 600, 400);

        Assert.DoesNotContain("<script>", svg, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void Title_counts_proposals_and_keeps_without_the_baseline_and_kept_labels_carry_their_cost_ratio()
    {
        using var folder = new TempFolder();
        var series = KnownSeries(folder.Path, withCosts: true);

        Assert.Equal("nov28: 9 proposals after the baseline, 2 kept", series.Title);
        Assert.Equal("val_bpb, mean of seeds", series.Metric);
        Assert.Contains(series.Points, p => p.Label == "N_LAYER 4 -> 3 (0.5x time)");
        Assert.Contains(series.Points, p => p.Label == "LEARNING_RATE 1e-3 -> 2e-3 (3.0x time)");
        Assert.Contains(series.Points, p => p.Label == "WARMUP 0.1 -> 0.2");
    }

    /// <summary>A ledger with a baseline, two keeps, discards and one of each failure, read back as a series.</summary>
    /// <param name="folder">Where the ledger goes.</param>
    /// <param name="withCosts">Each run's cost: 60 s for the baseline, 30 s for the first keep (a child of the baseline),
    /// 90 s for everything after it (children of the first keep).</param>
    private static ProgressSeries KnownSeries(string folder, bool withCosts = false)
    {
        using var ledger = Ledger.Open(System.IO.Path.Combine(folder, "ledger.db"));
        var start = DateTimeOffset.Parse("2026-11-28T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        ledger.CreateRun(new RunRecord("nov28", "autoresearch/nov28", "abc1234", "val_bpb", "minimize", start, null));
        var rows = new (double? Metric, ExperimentStatus Status, string Description)[]
        {
            (3.10, ExperimentStatus.Keep, "baseline"),
            (3.20, ExperimentStatus.Discard, "LEARNING_RATE 1e-3 -> 3e-3"),
            (3.02, ExperimentStatus.Keep, "N_LAYER 4 -> 3"),
            (null, ExperimentStatus.Crash, "N_HEAD 4 -> 5"),
            (3.05, ExperimentStatus.Discard, "WARMUP 0.1 -> 0.2"),
            (null, ExperimentStatus.Timeout, "BATCH 8 -> 64"),
            (2.95, ExperimentStatus.Keep, "LEARNING_RATE 1e-3 -> 2e-3"),
            (null, ExperimentStatus.Stopped, "DROPOUT 0 -> 0.2"),
            (null, ExperimentStatus.Rejected, "edited prepare.py"),
            (3.00, ExperimentStatus.Discard, "WEIGHT_DECAY 0.1 -> 0.01"),
        };
        for (var i = 0; i < rows.Length; i++)
        {
            ledger.Insert(new ExperimentRecord
            {
                Tag = "nov28",
                Seq = i,
                Phase = ExperimentPhase.Done,
                Status = rows[i].Status,
                Proposer = i == 0 ? "baseline" : "search",
                Description = rows[i].Description,
                Metric = rows[i].Metric,
                StartedAt = start.AddMinutes(i),
                Seed = 42,
                ParentCommit = i <= 2 ? "abc1234" : "keep002",
                CandidateCommit = i == 0 ? "abc1234" : $"keep{i:000}",
                Cost = withCosts ? new ExperimentCost { Seconds = i == 0 ? 60 : i == 2 ? 30 : 90 } : null,
            });
        }

        return ProgressSeries.FromExperiments(ledger.GetRun("nov28")!, ledger.Experiments("nov28"));
    }

    private static Dictionary<uint, int> Histogram(SKBitmap bitmap)
    {
        var counts = new Dictionary<uint, int>();
        foreach (var pixel in bitmap.Pixels)
        {
            var key = (uint)pixel;
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        return counts;
    }

    /// <summary>Pixels within a small distance of <paramref name="colour"/> (antialiasing blends the edges).</summary>
    private static int Near(Dictionary<uint, int> histogram, ScottPlot.Color colour) =>
        histogram.Where(kv =>
        {
            var c = (SKColor)kv.Key;
            return Math.Abs(c.Red - colour.R) <= 6 && Math.Abs(c.Green - colour.G) <= 6 && Math.Abs(c.Blue - colour.B) <= 6;
        }).Sum(kv => kv.Value);
}
