namespace AutoResearch.Core.Records;

/// <summary>One research run: a branch <c>autoresearch/&lt;tag&gt;</c> and its experiments.</summary>
/// <param name="Tag">The run's name, unique in the workspace.</param>
/// <param name="Branch">The git branch that holds its kept commits.</param>
/// <param name="BaseCommit">The commit it started from.</param>
/// <param name="Metric">The objective's metric name.</param>
/// <param name="Direction"><c>minimize</c> or <c>maximize</c>.</param>
/// <param name="StartedAt">When it was created.</param>
/// <param name="FinishedAt">When it reached its limits; null while it can be resumed by a plain <c>run</c>.</param>
public sealed record RunRecord(
    string Tag,
    string Branch,
    string BaseCommit,
    string Metric,
    string Direction,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt);
