namespace AutoResearch.Swarm.Protocol.Messages;

/// <summary>
/// <c>POST /v1/claims</c>: a win found under an explore lease. The coordinator re-runs it on other workers at the lease's
/// seed: a claimed metric that they do not reproduce is a false claim and costs the claimer its trust.
/// </summary>
/// <param name="LeaseId">The explore lease the experiment ran under (its seed is the one claimed at).</param>
/// <param name="Patch">The unified diff from the lease's head (git diff format).</param>
/// <param name="ParentMetric">The head's metric as the claimer measured it at the lease's seed.</param>
/// <param name="ClaimedMetric">The candidate's metric at the lease's seed.</param>
/// <param name="LogDigest">SHA-256 (hex) of the candidate's run log.</param>
/// <param name="Description">One line: what was tried.</param>
/// <remarks>
/// Every field is required. They are nullable here only so that the coordinator can tell a missing field from a zero
/// (System.Text.Json reads a missing <c>double</c> as 0) and refuse it with a 400 that names it.
/// </remarks>
public sealed record ClaimRequest(long? LeaseId, string? Patch, double? ParentMetric, double? ClaimedMetric, string? LogDigest, string? Description);

/// <summary>Where a claim stands.</summary>
public enum ClaimStatus
{
    /// <summary>Waiting for its verifiers.</summary>
    Pending,

    /// <summary>Verified and appended to the chain.</summary>
    Accepted,

    /// <summary>Verified and found not to be a real improvement.</summary>
    Rejected,

    /// <summary>Its verifiers did not reproduce the claimed metric: a false claim.</summary>
    False,

    /// <summary>It no longer applies to the head (or was rebased too often).</summary>
    Stale,

    /// <summary>The same patch was claimed first by someone else (or sent to this key to verify).</summary>
    Duplicate,

    /// <summary>Refused at the door: files outside the editable set, a symlink, a path that escapes, too large.</summary>
    Refused,
}

/// <summary>The reply to <see cref="ClaimRequest"/>, and the state of a claim (<c>GET /v1/claims/{id}</c>).</summary>
public sealed record ClaimReply(long ClaimId, ClaimStatus Status, string? Reason = null);
