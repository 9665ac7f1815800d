namespace AutoResearch.Swarm.Protocol.Messages;

/// <summary><c>GET /v1/head</c>: the current best. Rebuild it by applying the chain's patches (<c>GET /v1/chain</c>) to the base commit in order.</summary>
/// <param name="Sequence">The chain's length: 0 is the base commit itself.</param>
/// <param name="HeadId">SHA-256 over the base commit and every accepted patch in order: names this exact code.</param>
/// <param name="BaseCommit">The commit the chain starts from.</param>
/// <param name="Metric">The head's verified metric, once measured.</param>
public sealed record HeadReply(long Sequence, string HeadId, string BaseCommit, double? Metric);

/// <summary>One accepted change in the chain.</summary>
/// <param name="Sequence">Its place (1 is the first accepted change).</param>
/// <param name="HeadId">The head id after it.</param>
/// <param name="ClaimId">The claim it came from.</param>
/// <param name="Worker">The key credited with it (the first to claim this patch).</param>
/// <param name="Patch">The unified diff against the previous head.</param>
/// <param name="Metric">The verified metric of the new head.</param>
/// <param name="Improvement">The verified improvement over the previous head (positive is better).</param>
/// <param name="Description">What the claimer said it tried.</param>
/// <param name="AcceptedAt">When it was accepted.</param>
/// <param name="Verifications">How many verifiers' reports agreed with the decision to accept it (absent from older coordinators).</param>
public sealed record ChainLink(
    long Sequence, string HeadId, long ClaimId, string Worker, string Patch, double Metric, double Improvement, string Description,
    DateTimeOffset AcceptedAt, int? Verifications = null);
