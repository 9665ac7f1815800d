namespace AutoResearch.Swarm.Protocol.Messages;

/// <summary>
/// <c>POST /v1/verifications</c>: the result of a verify lease. Metrics are null when the runs failed.
/// </summary>
/// <param name="LeaseId">The verify lease.</param>
/// <param name="Applies">False when the patch did not apply to the lease's head (a stale claim).</param>
/// <param name="ParentMetric">The head's metric at the lease's seed.</param>
/// <param name="CandidateMetric">The patched code's metric at the lease's seed.</param>
/// <param name="HoldoutParent">Trusted verifiers: the head's score on the holdout.</param>
/// <param name="HoldoutCandidate">Trusted verifiers: the candidate's score on the holdout.</param>
/// <param name="LogDigest">SHA-256 (hex) of the candidate's run log.</param>
public sealed record VerificationReport(
    long LeaseId, bool Applies, double? ParentMetric, double? CandidateMetric, double? HoldoutParent = null, double? HoldoutCandidate = null,
    string? LogDigest = null);

/// <summary>
/// <c>POST /v1/experiments</c>: the outcome of an explore lease that is not a claim (discarded, crashed, timed out), for the
/// shared log so the swarm learns from every experiment.
/// </summary>
/// <param name="LeaseId">The explore lease.</param>
/// <param name="Status">discard, crash, timeout, stopped, rejected (as the local loop decided).</param>
/// <param name="Metric">The metric, when the run produced one.</param>
/// <param name="Description">One line: what was tried.</param>
/// <param name="Patch">The diff tried (kept in the shared log).</param>
public sealed record ExperimentReport(long LeaseId, string Status, double? Metric, string Description, string? Patch);

/// <summary><c>POST /v1/measurements</c>: the result of a measure lease, the head's metric at the lease's seed (null when the run failed).</summary>
/// <param name="LeaseId">The measure lease.</param>
/// <param name="Metric">The head's metric.</param>
/// <param name="LogDigest">SHA-256 (hex) of the run's log.</param>
public sealed record MeasurementReport(long LeaseId, double? Metric, string? LogDigest = null);

/// <summary>The coordinator's acknowledgement of a report.</summary>
public sealed record Receipt(string Status, string? Reason = null);
