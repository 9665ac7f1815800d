using System.Security.Cryptography;
using AutoResearch.Swarm.Coordinator.Storage;
using AutoResearch.Swarm.Protocol.Messages;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// The rules of the swarm, over the database and nothing else (any number of coordinators may serve one PostgreSQL).
/// Split by concern: leases, claims, verification and the chain, read-only views.
/// </summary>
internal sealed partial class Coordinator
{
    private const int RetryAfterMs = 2000;
    private readonly SwarmDatabase _db;
    private readonly CoordinatorOptions _options;
    private readonly TimeProvider _time;
    private readonly HashSet<string> _trusted;
    private readonly ChainTrees _trees;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, LeaseMix> _mixes = new(StringComparer.Ordinal);

    public Coordinator(SwarmProject project, SwarmDatabase db, CoordinatorOptions options, TimeProvider time, ChainTrees trees)
    {
        _trees = trees;
        Project = project;
        _db = db;
        _options = options;
        _time = time;
        _trusted = new HashSet<string>(options.TrustedKeys, StringComparer.Ordinal);
        LeaseDuration = options.LeaseDuration ?? (2 * project.Spec.Run.Timeout) + TimeSpan.FromMinutes(1);
    }

    public SwarmProject Project { get; }

    public TimeSpan LeaseDuration { get; }

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The leases a key may hold at once: small for a new key, one more per verified result, reset by a false one.</summary>
    public int Quota(long trust, bool trusted) =>
        trusted ? _options.MaxQuota : (int)Math.Min(_options.MaxQuota, _options.InitialQuota + trust);

    /// <summary>Looks up a registered key; null when unknown.</summary>
    public Task<Caller?> FindAsync(string key, CancellationToken cancellationToken) =>
        _db.ReadAsync(s => s.SingleAsync("SELECT key, owner, trusted, trust, vouched FROM workers WHERE key = @k", ReadCaller, cancellationToken, ("@k", key)),
            cancellationToken);

    /// <summary>
    /// True when verification rounds need an anchor: a report from a trusted or vouched-for key. Without trusted keys there is
    /// nobody to vouch from, and the quorum alone decides (a swarm without the owner's machines trusts its majority).
    /// </summary>
    public bool Anchored => _trusted.Count > 0;

    /// <summary>Agreements with established verifiers a key needs before it is established itself.</summary>
    public const int VouchesToEstablish = 1;

    /// <remarks>
    /// Without trusted keys, established means having a record: at least one verified result (trust, reset by a false one).
    /// It matters only in rounds for claims of keys without one (see <see cref="NeedsRecordAsync"/>).
    /// </remarks>
    private Caller ReadCaller(System.Data.Common.DbDataReader r) =>
        new(r.Text("key"), r.Text("owner"), r.Flag("trusted"), r.Long("trust"),
            r.Flag("trusted") || (Anchored ? r.Long("vouched") >= VouchesToEstablish : r.Long("trust") >= 1));

    /// <summary>What every worker must know about the project.</summary>
    /// <param name="sigma">The noise σ, null while it is being measured.</param>
    public ProjectInfo ProjectInfo(double? sigma)
    {
        var spec = Project.Spec;
        return new ProjectInfo(
            Project.Name, spec.Objective.Metric, spec.Objective.Direction.ToString().ToLowerInvariant(), spec.Scope.Globs, Project.BaseCommit,
            Project.TokenBudget, spec.Acceptance.Threshold(sigma ?? 0), Project.Verifiers, Project.MaxPatchBytes, sigma);
    }

    /// <summary>The noise σ workers are told (see <see cref="CurrentSigmaAsync"/>); null while the swarm measures it.</summary>
    public async Task<double?> SigmaAsync(CancellationToken cancellationToken) =>
        Project.Sigma ?? await _db.ReadAsync(s => CurrentSigmaAsync(s, cancellationToken), cancellationToken).ConfigureAwait(false);

    /// <summary>The noise σ a decision uses; no verification is served while it is unknown (see <see cref="LeaseAsync"/>).</summary>
    private async Task<double> DecisionSigmaAsync(Session s, CancellationToken cancellationToken) =>
        await CurrentSigmaAsync(s, cancellationToken).ConfigureAwait(false) ?? 0;

    /// <summary>
    /// The configured σ, else the one the swarm measured (null until it has), else, for a coordinator told not to measure, the
    /// spread of verifiers' agreed runs of a head at different seeds, else 0.
    /// </summary>
    private async Task<double?> CurrentSigmaAsync(Session s, CancellationToken cancellationToken) =>
        Project.Sigma ?? (MeasuresNoise
            ? await MeasuredNoiseAsync(s, cancellationToken).ConfigureAwait(false)
            : await MeasuredSigmaAsync(s, cancellationToken).ConfigureAwait(false) ?? 0);

    private static async Task<double?> MeasuredSigmaAsync(Session s, CancellationToken cancellationToken)
    {
        var rows = await s.QueryAsync(
            """
            SELECT head_seq, seed, AVG(parent_metric) AS metric FROM reports
            WHERE agreed = 1 AND parent_metric IS NOT NULL GROUP BY head_seq, seed ORDER BY head_seq DESC LIMIT 400
            """,
            r => (Head: r.Long("head_seq"), Metric: r.Double("metric")), cancellationToken).ConfigureAwait(false);
        return Core.Acceptance.Noise.Sigma(rows.GroupBy(r => r.Head).Select(g => (IReadOnlyList<double>)g.Select(r => r.Metric).ToList()));
    }

    private static int NewSeed() => RandomNumberGenerator.GetInt32(1, int.MaxValue);

    /// <param name="Seed">
    /// The head's seed: every explore lease on it and every verification round on it runs at this seed, so a worker measures the
    /// head once and a verifier's parent run serves every claim on that head. Drawn afresh for each new head, so a win that rode
    /// one seed's luck must win again at another when it is rebased.
    /// </param>
    private sealed record HeadState(long Sequence, string HeadId, double? Metric, long Seed);

    /// <summary>The head row, locked, or null when another transaction holds it (PostgreSQL; SQLite has one writer at a time).</summary>
    private static Task<HeadState?> TryLockHeadAsync(Session s, CancellationToken cancellationToken) =>
        ReadHeadAsync(s, s.IsPostgres ? "FOR UPDATE SKIP LOCKED" : "", cancellationToken);

    private static async Task<HeadState> HeadAsync(Session s, bool lockRow, CancellationToken cancellationToken) =>
        (await ReadHeadAsync(s, lockRow ? s.ForUpdate : "", cancellationToken).ConfigureAwait(false))!;

    private static Task<HeadState?> ReadHeadAsync(Session s, string locking, CancellationToken cancellationToken) =>
        s.SingleAsync($"SELECT head_seq, head_id, head_metric, head_seed FROM state WHERE id = 1 {locking}",
            r => new HeadState(r.Long("head_seq"), r.Text("head_id"), r.NullableDouble("head_metric"), r.Long("head_seed")), cancellationToken);
}
