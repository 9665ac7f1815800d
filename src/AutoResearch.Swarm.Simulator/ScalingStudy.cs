using System.Globalization;
using AutoResearch.Swarm.Coordinator;
using ScottPlot;

namespace AutoResearch.Swarm.Simulator;

/// <summary>What a scaling study runs: the same simulation at each worker count, one after another.</summary>
public sealed record ScalingOptions
{
    /// <summary>The honest worker counts, the first of them 1 (one worker alone: the baseline). Default 1, 4, 16, 64, 256, 1000.</summary>
    public IReadOnlyList<int> Workers { get; init; } = [1, 4, 16, 64, 256, 1000];

    /// <summary>Every other setting (duration, run time, noise, seed, adversaries, database); its worker count is replaced per run.</summary>
    public SimulationOptions Simulation { get; init; } = new();

    /// <summary>Where <c>scaling.md</c> and <c>scaling.png</c> are written.</summary>
    public string Output { get; init; } = ".";

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Workers.Count < 2 || Workers[0] != 1)
        {
            problems.Add($"--workers {string.Join(',', Workers)} must start with 1 (the worker alone every speed-up is measured against) and name at least one swarm size");
        }

        problems.AddRange(Workers.Skip(1).Select(n => (Simulation with { Workers = n }).Validate()).SelectMany(p => p).Distinct());
        return problems;
    }
}

/// <summary>One worker count's result in a scaling study.</summary>
/// <param name="TimeToTarget">Seconds until the head's true loss first reached the target (the loss one worker alone ends at); null when it never did.</param>
/// <param name="SpeedUp">The worker alone's time to the target over this one's; null when the target was not reached.</param>
public sealed record ScalingRow(int Workers, SimulationReport Report, double? TimeToTarget, double? SpeedUp);

/// <summary>
/// The scaling curve: the same synthetic objective, noise and simulated time at each worker count (plus the adversaries), and
/// per count the time to reach the loss one worker alone ends at, the speed-up, the verification share, the share of
/// exploration that was stale on arrival and the fraud accepted. Writes a markdown table and a plot of the curves.
/// </summary>
public sealed class ScalingStudy(ScalingOptions options, TextWriter output)
{
    private static readonly CultureInfo s_inv = CultureInfo.InvariantCulture;

    public async Task<IReadOnlyList<ScalingRow>> RunAsync(CancellationToken cancellationToken = default)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new SwarmException("scaling: " + string.Join("; ", problems), isUsageError: true);
        }

        var reports = new List<(int Workers, SimulationReport Report)>();
        foreach (var workers in options.Workers)
        {
            output.WriteLine();
            output.WriteLine($"=== {workers} worker{(workers == 1 ? "" : "s")} ===");
            var simulation = options.Simulation with { Workers = workers, JoinFirst = true };
            reports.Add((workers, await new Simulation(simulation, output).RunAsync(cancellationToken).ConfigureAwait(false)));
        }

        var rows = Rows(reports);
        Directory.CreateDirectory(options.Output);
        var table = Table(rows);
        await File.WriteAllTextAsync(Path.Combine(options.Output, "scaling.md"), table, cancellationToken).ConfigureAwait(false);
        Plot(rows, TargetOf(rows[0].Report)).SavePng(Path.Combine(options.Output, "scaling.png"), 900, 560);
        output.WriteLine();
        output.Write(table);
        output.WriteLine($"wrote {Path.Combine(options.Output, "scaling.md")} and scaling.png");
        return rows;
    }

    /// <summary>The target: the true loss the worker alone ended at.</summary>
    private static double TargetOf(SimulationReport alone) => alone.HeadLoss;

    /// <summary>Time to target and speed-up for each count, against the first (the worker alone).</summary>
    internal static IReadOnlyList<ScalingRow> Rows(IReadOnlyList<(int Workers, SimulationReport Report)> reports)
    {
        var target = TargetOf(reports[0].Report);
        var alone = TimeToTarget(reports[0].Report, target);
        return reports.Select(r =>
        {
            var time = TimeToTarget(r.Report, target);
            return new ScalingRow(r.Workers, r.Report, time, time is { } t && alone is { } a ? a / Math.Max(t, 1e-3) : null);
        }).ToList();
    }

    /// <summary>The first second the head's true loss was at or below <paramref name="target"/>; null when it never was.</summary>
    internal static double? TimeToTarget(SimulationReport report, double target)
    {
        if (report.BaseLoss <= target)
        {
            return 0;
        }

        foreach (var (seconds, loss) in report.Series)
        {
            if (loss <= target + 1e-12)
            {
                return seconds;
            }
        }

        return null;
    }

    internal static string Table(IReadOnlyList<ScalingRow> rows)
    {
        var target = TargetOf(rows[0].Report);
        var text = new System.Text.StringBuilder();
        text.AppendLine(string.Create(s_inv, $"target: true loss {target:0.000000} (the worker alone's at the end; base {rows[0].Report.BaseLoss:0.000000})"));
        text.AppendLine();
        text.AppendLine("| workers | chain | final true loss | time to target s | speed-up | verification share | stale exploration | claims | explore runs | verify runs | fraud accepted |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var r = row.Report;
            var share = r.ExploreRuns + r.VerifyRuns > 0 ? r.VerifyRuns / (r.ExploreRuns + r.VerifyRuns) : 0;
            text.AppendLine(string.Create(s_inv,
                $"| {row.Workers} | {r.ChainLength} | {r.HeadLoss:0.000000} | {(row.TimeToTarget is { } t ? t.ToString("0.0", s_inv) : "not reached")} | {(row.SpeedUp is { } s ? s.ToString("0.0", s_inv) + "x" : "-")} | {share * 100:0.0}% | {r.StaleShare * 100:0.0}% | {r.Claims} | {r.ExploreRuns:0} | {r.VerifyRuns:0} | {r.FraudulentAccepted} |"));
        }

        return text.ToString();
    }

    /// <summary>The head's true loss over time, one step line per worker count, and the target.</summary>
    private static Plot Plot(IReadOnlyList<ScalingRow> rows, double target)
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");
        plot.Title("Swarm scaling: the head's true loss over time");
        plot.XLabel("seconds");
        plot.YLabel("true loss (lower is better)");
        var end = rows.Max(r => r.Report.Seconds);
        var palette = new ScottPlot.Palettes.Category10();
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i].Report;
            var xs = new[] { 0.0 }.Concat(r.Series.Select(p => p.Seconds)).Append(Math.Max(r.Seconds, r.Series.Count > 0 ? r.Series[^1].Seconds : 0)).ToArray();
            var ys = new[] { r.BaseLoss }.Concat(r.Series.Select(p => p.Loss)).Append(r.HeadLoss).ToArray();
            var line = plot.Add.Scatter(xs, ys, palette.GetColor(i));
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.LineWidth = 2;
            line.MarkerSize = 0;
            line.LegendText = rows[i].Workers == 1 ? "1 worker alone" : $"{rows[i].Workers} workers";
        }

        var goal = plot.Add.HorizontalLine(target, 1, Colors.Black, LinePattern.Dashed);
        goal.LegendText = "target";
        plot.Axes.SetLimitsX(0, end);
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }
}
