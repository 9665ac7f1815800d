using System.Globalization;
using AutoResearch.Core.Spec;
using AutoResearch.Swarm.Coordinator.Storage;
using AutoResearch.Swarm.Protocol.Messages;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// A claim as the coordinator accepts it: every field present, metrics finite and within the project's range, the margin that
/// orders the verification queue computed without overflow. <see cref="Check"/> refuses anything else with a 400 that names
/// the field (snake_case, as on the wire) and says why.
/// </summary>
internal sealed record ClaimSchema(long LeaseId, string Patch, double ParentMetric, double ClaimedMetric, string LogDigest, string Description)
{
    /// <summary>
    /// The bound on a metric's magnitude on the base head when the project sets no <c>metric_limit</c>: the base head has no
    /// verified metric to scale from, and the claim's own parent metric (the reference there) must not be allowed to be anything.
    /// </summary>
    public const double BaseHeadLimit = 1e12;

    /// <summary>The request's fields, each present and well-formed.</summary>
    /// <exception cref="Refusal">400 naming the first field at fault.</exception>
    public static ClaimSchema Check(ClaimRequest? request)
    {
        if (request is null)
        {
            throw Bad("body", "the body must be a JSON claim object");
        }

        var lease = request.LeaseId ?? throw Missing("lease_id", "the id of the explore lease the experiment ran under");
        var patch = request.Patch ?? throw Missing("patch", "the unified diff from the lease's head");
        var parent = Metric(request.ParentMetric, "parent_metric", "the head's metric as you measured it at the lease's seed");
        var claimed = Metric(request.ClaimedMetric, "claimed_metric", "the candidate's metric at the lease's seed");
        var digest = request.LogDigest ?? throw Missing("log_digest", "the SHA-256 of the candidate's run log (64 hex digits)");
        if (digest is not { Length: 64 } || !digest.All(Uri.IsHexDigit))
        {
            throw Bad("log_digest", "must be the SHA-256 of the candidate's run log: 64 hex digits");
        }

        if (patch.Length == 0)
        {
            throw Bad("patch", "is empty; a claim needs the unified diff from the lease's head");
        }

        var description = request.Description ?? throw Missing("description", "one line: what was tried");
        return new ClaimSchema(lease, patch, parent, claimed, digest, description);
    }

    /// <summary>
    /// The largest metric magnitude accepted for a claim on a head whose verified metric is <paramref name="headMetric"/>
    /// (null on the base head, where the claim's own parent metric is the reference, itself within <see cref="BaseHeadLimit"/>).
    /// </summary>
    public double Limit(SwarmProject project, double? headMetric) =>
        project.MetricLimit
        ?? (headMetric is { } m
            ? Math.Max(1, Math.Abs(m)) * project.MetricRange
            : Math.Min(BaseHeadLimit, Math.Max(1, Math.Abs(ParentMetric)) * project.MetricRange));

    /// <summary>Refuses metrics beyond <paramref name="limit"/>; the parent metric on the base head is held to <see cref="BaseHeadLimit"/>.</summary>
    /// <exception cref="Refusal">400 naming the metric out of range.</exception>
    public void CheckRange(double limit)
    {
        foreach (var (field, value) in new[] { ("parent_metric", ParentMetric), ("claimed_metric", ClaimedMetric) })
        {
            if (Math.Abs(value) > limit)
            {
                throw Bad(field, string.Create(CultureInfo.InvariantCulture,
                    $"= {value:G6} is outside the project's range (|metric| <= {limit:G6}: the reference metric's magnitude, at least 1, times [swarm] metric_range, or [swarm] metric_limit)"));
            }
        }
    }

    /// <summary>The claimed improvement, clamped so it is finite whatever the inputs (both within the limit it cannot overflow anyway).</summary>
    public double Margin(ObjectiveSpec objective, double limit)
    {
        var margin = objective.Improvement(ClaimedMetric, ParentMetric);
        return double.IsNaN(margin) ? 0 : Math.Clamp(margin, -2 * limit, 2 * limit);
    }

    /// <summary>The verified metric of head <paramref name="sequence"/>, or null for the base head.</summary>
    public static Task<double?> HeadMetricAsync(Session s, long sequence, CancellationToken cancellationToken) =>
        sequence == 0
            ? Task.FromResult<double?>(null)
            : s.ScalarAsync<double?>("SELECT metric FROM chain WHERE seq = @q", cancellationToken, ("@q", sequence));

    private static double Metric(double? value, string field, string what) =>
        value switch
        {
            null => throw Missing(field, what),
            { } v when !double.IsFinite(v) => throw Bad(field, "must be a finite number; a crashed run is reported with POST /v1/experiments"),
            { } v => v,
        };

    private static Refusal Missing(string field, string what) => new(400, "bad claim", $"{field} is missing: {what}", field);

    private static Refusal Bad(string field, string why) => new(400, "bad claim", $"{field} {why}", field);
}
