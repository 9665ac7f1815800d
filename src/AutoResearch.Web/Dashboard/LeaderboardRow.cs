namespace AutoResearch.Web.Dashboard;

/// <summary>One contributor's place on the swarm's leaderboard.</summary>
/// <param name="Rank">1 for first place.</param>
/// <param name="Contributor">The display name (untrusted; the pages escape it).</param>
/// <param name="Accepted">Improvements of theirs on the chain.</param>
/// <param name="Claims">Improvements they claimed (accepted, rejected and pending).</param>
/// <param name="Improvement">The sum of their verified margins, in metric units (positive is better).</param>
/// <param name="Credit">Credit as the coordinator counts it (verification work included).</param>
/// <param name="LastAcceptedAt">When their latest improvement was accepted; null when none was.</param>
public sealed record LeaderboardRow(
    int Rank,
    string Contributor,
    int Accepted,
    int Claims,
    double Improvement,
    double Credit,
    DateTimeOffset? LastAcceptedAt);
