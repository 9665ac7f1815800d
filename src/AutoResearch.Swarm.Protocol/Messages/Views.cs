namespace AutoResearch.Swarm.Protocol.Messages;

/// <summary>One experiment of the shared log (<c>GET /v1/experiments</c>).</summary>
/// <param name="Patch">The diff, or null while its claim is pending (only its verifiers see it then).</param>
public sealed record LogEntry(
    long Id, string Worker, long HeadSequence, string Status, double? Metric, string Description, string? Patch, long? ClaimId, DateTimeOffset At);

/// <summary>One row of the leaderboard (<c>GET /v1/leaderboard</c>).</summary>
/// <param name="ImprovementCredit">The verified improvements credited to this key (metric units, summed).</param>
/// <param name="VerificationCredit">Verification runs that agreed with the decision.</param>
public sealed record LeaderboardEntry(
    string Worker, string Owner, double ImprovementCredit, double VerificationCredit, int Accepted, int Rejected, int Verifications, int Caught);

/// <summary>One worker as the coordinator sees it (<c>GET /v1/workers</c>).</summary>
/// <param name="Trust">Verified results since the last false one; quotas grow with it.</param>
public sealed record WorkerView(string Worker, string Owner, string? Name, bool Trusted, int Trust, int Quota, DateTimeOffset LastSeen);

/// <summary><c>GET /v1/health</c>.</summary>
public sealed record HealthReply(string Status, string Version, string Database, long ChainLength, int Workers, int PendingClaims);
