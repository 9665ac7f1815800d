namespace AutoResearch.Swarm.Protocol.Messages;

/// <summary>What a lease asks of a worker.</summary>
public enum LeaseKind
{
    /// <summary>Run one experiment of the worker's own against the head.</summary>
    Explore,

    /// <summary>Re-run someone's claim: parent and candidate, paired, with the given seed.</summary>
    Verify,

    /// <summary>
    /// Run the lease's head unchanged at the lease's seed and report its metric (<c>POST /v1/measurements</c>): how the coordinator
    /// measures the run-to-run noise σ its decisions need when the project does not set one.
    /// </summary>
    Measure,
}

/// <summary><c>POST /v1/leases</c>: asks for work. Verification comes first when there is some this worker may do.</summary>
/// <param name="Verify">False for a worker that only explores (it will never be sent others' code).</param>
public sealed record LeaseRequest(bool Verify = true);

/// <summary>The reply to <see cref="LeaseRequest"/>: a lease, or none and when to ask again.</summary>
public sealed record LeaseReply(Lease? Lease, int RetryAfterMs);

/// <summary>A piece of work, held until <see cref="Expires"/>; after that it is offered to someone else.</summary>
/// <param name="Id">The lease's id; results name it.</param>
/// <param name="Kind">Explore, verify or measure.</param>
/// <param name="HeadSequence">The head the work runs against.</param>
/// <param name="HeadId">Its id.</param>
/// <param name="Seed">The seed every run of this lease uses (AUTORESEARCH_SEED), chosen by the coordinator.</param>
/// <param name="Expires">When the lease lapses.</param>
/// <param name="Verify">For a verify lease: the claim's patch.</param>
public sealed record Lease(long Id, LeaseKind Kind, long HeadSequence, string HeadId, int Seed, DateTimeOffset Expires, VerifyJob? Verify = null);

/// <summary>A claim to verify: apply <see cref="Patch"/> to the lease's head and run parent and candidate with the lease's seed.</summary>
/// <param name="ClaimId">The claim.</param>
/// <param name="Patch">Its unified diff (sent only to its verifiers until it is decided).</param>
/// <param name="Holdout">True when the verifier should also score on its holdout (trusted verifiers only).</param>
public sealed record VerifyJob(long ClaimId, string Patch, bool Holdout);
