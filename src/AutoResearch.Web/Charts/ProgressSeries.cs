using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using AutoResearch.Web.Dashboard;

namespace AutoResearch.Web.Charts;

/// <summary>What a progress chart shows: the points, the metric's name and which way it improves.</summary>
/// <param name="Metric">The metric's name (the y axis label).</param>
/// <param name="Direction">Which way the metric improves; the running best follows it.</param>
/// <param name="Points">The points, in any order (drawn by <see cref="ProgressPoint.Index"/>).</param>
/// <param name="Title">The chart's title; null for none.</param>
/// <param name="XLabel">The x axis label; default <c>experiment</c>.</param>
public sealed record ProgressSeries(string Metric, Direction Direction, IReadOnlyList<ProgressPoint> Points, string? Title = null, string XLabel = "experiment")
{
    /// <summary>
    /// The points of a run's finished experiments, each at the mean of its runs (seeds), as <c>log</c> and results.tsv show
    /// it. The baseline is index 0 and is drawn as kept (the running best starts there), but the title counts proposals and
    /// kept proposals only, as <c>log</c> and <c>status</c> do. A kept proposal's label carries its cost ratio against its
    /// parent (<c>1.7x time</c>) when both were measured. Experiments still proposing or running are left out.
    /// </summary>
    /// <param name="run">The run.</param>
    /// <param name="experiments">Its experiments.</param>
    /// <param name="measure">The cost its labels compare (<c>[cost] measure</c>).</param>
    public static ProgressSeries FromExperiments(RunRecord run, IEnumerable<ExperimentRecord> experiments, CostMeasure measure = CostMeasure.Time)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(experiments);
        var all = experiments.ToList();
        var direction = string.Equals(run.Direction, "maximize", StringComparison.OrdinalIgnoreCase) ? Direction.Maximize : Direction.Minimize;
        var done = all.Where(e => e.Phase == ExperimentPhase.Done && e.Status is not null).ToList();
        var points = done
            .Select(e => new ProgressPoint(e.Seq, e.Metric, MarkOf(e.Status!.Value), e.IsBaseline ? "baseline" : Label(e, all, measure)))
            .ToList();
        var proposals = done.Count(e => !e.IsBaseline);
        var kept = done.Count(e => !e.IsBaseline && e.Status == ExperimentStatus.Keep);
        return new ProgressSeries(
            run.Metric + ", mean of seeds", direction, points, $"{run.Tag}: {proposals} proposals after the baseline, {kept} kept");
    }

    private static string? Label(ExperimentRecord e, IReadOnlyList<ExperimentRecord> all, CostMeasure measure) =>
        e.Status == ExperimentStatus.Keep && CostRatio.Describe(e, all, measure) is { } cost ? $"{e.Description} ({cost})" : e.Description;

    /// <summary>The points of the swarm's chain: every entry is a kept improvement, labelled with its description.</summary>
    public static ProgressSeries FromChain(string metric, Direction direction, IEnumerable<ChainEntry> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var points = chain.Select(c => new ProgressPoint((int)c.Height, c.Metric, ProgressMark.Kept, c.Height == 0 ? "base" : c.Description)).ToList();
        return new ProgressSeries(metric, direction, points, $"chain: {points.Count} entries", "height");
    }

    /// <summary>How an experiment's status is drawn.</summary>
    public static ProgressMark MarkOf(ExperimentStatus status) => status switch
    {
        ExperimentStatus.Keep => ProgressMark.Kept,
        ExperimentStatus.Discard => ProgressMark.Discarded,
        ExperimentStatus.Timeout => ProgressMark.TimedOut,
        ExperimentStatus.Stopped => ProgressMark.Stopped,
        ExperimentStatus.Rejected => ProgressMark.Rejected,
        _ => ProgressMark.Crashed,
    };
}
