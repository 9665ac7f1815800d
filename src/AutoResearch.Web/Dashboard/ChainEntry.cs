namespace AutoResearch.Web.Dashboard;

/// <summary>One verified improvement on the swarm's chain.</summary>
/// <param name="Height">Its place: 1 is the first accepted change (0, if given, is the base).</param>
/// <param name="Head">What names the code after it (a head id or a commit).</param>
/// <param name="Metric">The verified value of the objective after it.</param>
/// <param name="Description">What the change did, in the claimer's words (untrusted; the pages encode it).</param>
/// <param name="Contributor">Who is credited with it (untrusted).</param>
/// <param name="AcceptedAt">When verification accepted it.</param>
/// <param name="Improvement">The verified improvement over the previous head, positive is better; null for the base.</param>
/// <param name="Patch">The diff against the previous head; null when not shared.</param>
/// <param name="Verifications">How many independent re-runs confirmed it, when the source counts them.</param>
public sealed record ChainEntry(
    long Height,
    string Head,
    double Metric,
    string Description,
    string Contributor,
    DateTimeOffset AcceptedAt,
    double? Improvement = null,
    string? Patch = null,
    int? Verifications = null);
