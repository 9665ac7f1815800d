namespace AutoResearch.Web.Dashboard;

/// <summary>One experiment of the swarm's shared log.</summary>
/// <param name="Id">Its id in the log.</param>
/// <param name="Contributor">The worker that ran it (untrusted).</param>
/// <param name="HeadHeight">The chain height it started from.</param>
/// <param name="Status">Its state in the coordinator's words (<c>discard</c>, <c>pending</c>, <c>accepted</c>, <c>rejected</c>, ...).</param>
/// <param name="Metric">The metric it reported, when it reported one.</param>
/// <param name="Description">What it tried (untrusted).</param>
/// <param name="Patch">Its diff; null while withheld (a pending claim) or not shared.</param>
/// <param name="At">When it was reported.</param>
public sealed record SwarmExperiment(
    long Id,
    string Contributor,
    long HeadHeight,
    string Status,
    double? Metric,
    string Description,
    string? Patch,
    DateTimeOffset At);
