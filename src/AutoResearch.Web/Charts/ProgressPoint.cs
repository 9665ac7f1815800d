namespace AutoResearch.Web.Charts;

/// <summary>One point of the progress chart: an experiment of a run, or an entry of the swarm's chain.</summary>
/// <param name="Index">Its position on the x axis (an experiment's sequence number, a chain entry's height).</param>
/// <param name="Metric">The objective's value; null when the run produced none (crashes, timeouts, rejections).</param>
/// <param name="Mark">How it is drawn.</param>
/// <param name="Label">A short text drawn beside kept points (cut to <see cref="ProgressChart.LabelLength"/> characters).</param>
public sealed record ProgressPoint(int Index, double? Metric, ProgressMark Mark, string? Label = null);
