using AutoResearch.Swarm.Coordinator.Storage;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;

namespace AutoResearch.Swarm.Coordinator;

internal sealed partial class Coordinator
{
    private const int MaxPage = 500;

    public async Task<HeadReply> HeadAsync(CancellationToken cancellationToken)
    {
        var head = await _db.ReadAsync(s => HeadAsync(s, lockRow: false, cancellationToken), cancellationToken).ConfigureAwait(false);
        return new HeadReply(head.Sequence, head.HeadId, Project.BaseCommit, head.Metric);
    }

    /// <summary>The chain after sequence <paramref name="after"/>, oldest first.</summary>
    public Task<List<ChainLink>> ChainAsync(long after, int limit, CancellationToken cancellationToken) =>
        _db.ReadAsync(s => s.QueryAsync(
            """
            SELECT seq, head_id, claim_id, worker, patch, metric, improvement, description, at_ms,
              (SELECT COUNT(*) FROM reports r WHERE r.claim_id = chain.claim_id AND r.agreed = 1) AS verifications
            FROM chain WHERE seq > @a ORDER BY seq LIMIT @n
            """,
            r => new ChainLink(r.Long("seq"), r.Text("head_id"), r.Long("claim_id"), r.Text("worker"), r.Text("patch"), r.Double("metric"),
                r.Double("improvement"), r.Text("description"), r.Time("at_ms"), (int)r.Long("verifications")),
            cancellationToken, ("@a", after), ("@n", Page(limit))), cancellationToken);

    /// <summary>Improvement credit first, then verification credit.</summary>
    public Task<List<LeaderboardEntry>> LeaderboardAsync(int offset, int limit, CancellationToken cancellationToken) =>
        _db.ReadAsync(s => s.QueryAsync(
            """
            SELECT key, owner, improvement_credit, verification_credit, accepted, rejected, verifications, caught FROM workers
            ORDER BY improvement_credit DESC, verification_credit DESC, key LIMIT @n OFFSET @o
            """,
            r => new LeaderboardEntry(r.Text("key"), r.Text("owner"), r.Double("improvement_credit"), r.Double("verification_credit"),
                (int)r.Long("accepted"), (int)r.Long("rejected"), (int)r.Long("verifications"), (int)r.Long("caught")),
            cancellationToken, ("@n", Page(limit)), ("@o", Math.Max(0, offset))), cancellationToken);

    public Task<List<WorkerView>> WorkersAsync(int limit, CancellationToken cancellationToken) =>
        _db.ReadAsync(s => s.QueryAsync(
            "SELECT key, owner, name, trusted, trust, last_seen_ms FROM workers ORDER BY last_seen_ms DESC, key LIMIT @n",
            r => new WorkerView(r.Text("key"), r.Text("owner"), r.NullableText("name"), r.Flag("trusted"), (int)r.Long("trust"),
                Quota(r.Long("trust"), r.Flag("trusted")), r.Time("last_seen_ms")),
            cancellationToken, ("@n", Page(limit))), cancellationToken);

    /// <summary>The shared log after id <paramref name="after"/>: every experiment, failed ones too; a pending claim's patch is withheld.</summary>
    public Task<List<LogEntry>> ExperimentsAsync(long after, int limit, CancellationToken cancellationToken) =>
        _db.ReadAsync(s => s.QueryAsync(
            """
            SELECT e.id, e.worker, e.head_seq, COALESCE(c.status, e.status) AS status, e.metric, e.description,
                   CASE WHEN c.status = 'pending' THEN NULL ELSE e.patch END AS patch, e.claim_id, e.at_ms
            FROM experiments e LEFT JOIN claims c ON c.id = e.claim_id WHERE e.id > @a ORDER BY e.id LIMIT @n
            """,
            r => new LogEntry(r.Long("id"), r.Text("worker"), r.Long("head_seq"), r.Text("status"), r.NullableDouble("metric"), r.Text("description"),
                r.NullableText("patch"), r.NullableLong("claim_id"), r.Time("at_ms")),
            cancellationToken, ("@a", after), ("@n", Page(limit))), cancellationToken);

    /// <summary>
    /// What each worker with a live lease does now, in a few words (<c>exploring on #3</c>, <c>verifying claim #12</c>; one
    /// lease per kind when it holds several), for the dashboard's workers page.
    /// </summary>
    public Task<Dictionary<string, string>> WorkerStatesAsync(CancellationToken cancellationToken) =>
        _db.ReadAsync(async s =>
        {
            var rows = await s.QueryAsync(
                """
                SELECT l.worker, l.kind, l.head_seq, j.claim_id FROM leases l LEFT JOIN jobs j ON j.id = l.job_id
                WHERE l.state = 'active' AND l.expires_ms > @now ORDER BY l.worker, l.id
                """,
                r => (Worker: r.Text("worker"), Kind: r.Text("kind"), Head: r.Long("head_seq"), Claim: r.NullableLong("claim_id")),
                cancellationToken, ("@now", Now)).ConfigureAwait(false);
            return rows.GroupBy(r => r.Worker, StringComparer.Ordinal).ToDictionary(
                g => g.Key,
                g => string.Join(", ", g.DistinctBy(r => r.Kind).Select(r => r.Claim is { } c ? $"verifying claim #{c}" : $"exploring on #{r.Head}")),
                StringComparer.Ordinal);
        }, cancellationToken);

    /// <summary>The latest <paramref name="limit"/> experiments of the shared log, newest first (the dashboard's view); a pending claim's patch is withheld.</summary>
    public Task<List<LogEntry>> LatestExperimentsAsync(int limit, CancellationToken cancellationToken) =>
        _db.ReadAsync(s => s.QueryAsync(
            """
            SELECT e.id, e.worker, e.head_seq, COALESCE(c.status, e.status) AS status, e.metric, e.description,
                   CASE WHEN c.status = 'pending' THEN NULL ELSE e.patch END AS patch, e.claim_id, e.at_ms
            FROM experiments e LEFT JOIN claims c ON c.id = e.claim_id ORDER BY e.id DESC LIMIT @n
            """,
            r => new LogEntry(r.Long("id"), r.Text("worker"), r.Long("head_seq"), r.Text("status"), r.NullableDouble("metric"), r.Text("description"),
                r.NullableText("patch"), r.NullableLong("claim_id"), r.Time("at_ms")),
            cancellationToken, ("@n", Page(limit))), cancellationToken);

    /// <summary>
    /// A number that grows whenever the chain, the log, a lease, a claim, a verification report or the set of workers changes: the sum
    /// of counters that only grow (each a primary-key maximum or the head's sequence), so one cheap query serves live pages.
    /// </summary>
    public Task<long> VersionAsync(CancellationToken cancellationToken) =>
        _db.ReadAsync(async s => await s.ScalarAsync<long>(
            """
            SELECT (SELECT head_seq FROM state WHERE id = 1)
                 + COALESCE((SELECT MAX(id) FROM experiments), 0)
                 + COALESCE((SELECT MAX(id) FROM leases), 0)
                 + COALESCE((SELECT MAX(id) FROM claims), 0)
                 + COALESCE((SELECT MAX(id) FROM reports), 0)
                 + (SELECT COUNT(*) FROM workers)
            """, cancellationToken).ConfigureAwait(false), cancellationToken);

    public Task<HealthReply> HealthAsync(CancellationToken cancellationToken) =>
        _db.ReadAsync(async s =>
        {
            var head = await HeadAsync(s, lockRow: false, cancellationToken).ConfigureAwait(false);
            var workers = await s.ScalarAsync<long>("SELECT COUNT(*) FROM workers", cancellationToken).ConfigureAwait(false);
            var pending = await s.ScalarAsync<long>("SELECT COUNT(*) FROM claims WHERE status = 'pending'", cancellationToken).ConfigureAwait(false);
            return new HealthReply("ok", ProtocolVersion.Current, _db.Target.Display, head.Sequence, (int)workers, (int)pending);
        }, cancellationToken);

    /// <summary>Forgets nonces older than twice the allowed clock skew: a request that old is refused for its time anyway.</summary>
    public Task PurgeAsync(CancellationToken cancellationToken) =>
        _db.WriteAsync(s => s.ExecAsync("DELETE FROM requests WHERE at_ms < @t",
            cancellationToken, ("@t", Now - (long)(2 * _options.MaxClockSkew.TotalMilliseconds))), cancellationToken);

    /// <summary>Fills free verification slots from the queue (housekeeping: claims that arrived while another transaction held the head row).</summary>
    public Task PromoteQueuedAsync(CancellationToken cancellationToken) =>
        _db.WriteAsync(async s =>
        {
            await PromoteAsync(s, await HeadAsync(s, lockRow: true, cancellationToken).ConfigureAwait(false), Now, cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken);

    private static int Page(int limit) => Math.Clamp(limit, 1, MaxPage);
}
