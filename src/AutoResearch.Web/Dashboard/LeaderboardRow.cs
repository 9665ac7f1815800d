namespace AutoResearch.Web.Dashboard;

/// <summary>One contributor's place on the swarm's leaderboard.</summary>
/// <param name="Rank">1 for first place.</param>
/// <param name="Contributor">The worker or display name (untrusted; the pages encode it).</param>
/// <param name="Owner">Who runs it, when known.</param>
/// <param name="Improvement">The verified improvements credited to them, in metric units, summed (positive is better).</param>
/// <param name="VerificationCredit">Credit for verification work, as the coordinator counts it.</param>
/// <param name="Accepted">Their claims on the chain.</param>
/// <param name="Rejected">Their claims that verification refused.</param>
/// <param name="Verifications">Verification runs they did.</param>
/// <param name="Caught">False claims of theirs that verification caught.</param>
public sealed record LeaderboardRow(
    int Rank,
    string Contributor,
    string? Owner,
    double Improvement,
    double VerificationCredit,
    int Accepted,
    int Rejected,
    int Verifications,
    int Caught = 0);
