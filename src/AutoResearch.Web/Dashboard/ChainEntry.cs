namespace AutoResearch.Web.Dashboard;

/// <summary>One verified improvement on the swarm's chain.</summary>
/// <param name="Height">Its position: 0 is the root (the project's baseline), then 1, 2, ...</param>
/// <param name="Commit">The accepted commit.</param>
/// <param name="ParentCommit">The commit it improved on; null for the root.</param>
/// <param name="Metric">The verified value of the objective.</param>
/// <param name="Description">What the change did, in the submitter's words (untrusted; the pages escape it).</param>
/// <param name="Contributor">Who gets the credit (a worker's or owner's display name; untrusted).</param>
/// <param name="AcceptedAt">When verification accepted it.</param>
/// <param name="Verifications">How many independent re-runs confirmed it.</param>
/// <param name="Margin">The verified improvement over the parent, positive is better; null for the root.</param>
/// <param name="Patch">The diff from the parent, when the coordinator shares it; null otherwise.</param>
public sealed record ChainEntry(
    int Height,
    string Commit,
    string? ParentCommit,
    double Metric,
    string Description,
    string Contributor,
    DateTimeOffset AcceptedAt,
    int Verifications,
    double? Margin = null,
    string? Patch = null);
