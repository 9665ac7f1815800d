using AutoResearch.Swarm.Coordinator.Storage;
using AutoResearch.Swarm.Protocol.Messages;

namespace AutoResearch.Swarm.Coordinator;

internal sealed partial class Coordinator
{
    /// <summary>
    /// Hands out work: a noise run while σ is being measured (see <see cref="TryMeasureLeaseAsync"/>), else a verification job
    /// this caller may do (not its own claim, not its owner's, not a claim another key of its owner already verifies; an expired
    /// lease's job is offered again), else an explore lease on the head. Nothing when the caller already holds its quota of leases.
    /// </summary>
    public Task<LeaseReply> LeaseAsync(Caller caller, LeaseRequest request, CancellationToken cancellationToken)
    {
        var now = Now;
        var expires = now + (long)LeaseDuration.TotalMilliseconds;
        return _db.WriteAsync(async s =>
        {
            var held = await s.ScalarAsync<long>(
                "SELECT COUNT(*) FROM leases WHERE worker = @k AND state = 'active' AND expires_ms > @now",
                cancellationToken, ("@k", caller.Key), ("@now", now)).ConfigureAwait(false);
            if (held >= Quota(caller.Trust, caller.Trusted))
            {
                return new LeaseReply(null, RetryAfterMs);
            }

            // Seen now: the workers page, the verification slots and adaptive replication count the keys asking for work lately.
            await s.ExecAsync("UPDATE workers SET last_seen_ms = @now WHERE key = @k", cancellationToken, ("@now", now), ("@k", caller.Key)).ConfigureAwait(false);
            var head = await HeadAsync(s, lockRow: false, cancellationToken).ConfigureAwait(false);
            // Verification first, within the worker's budget: beyond it, it explores and the claims wait their turn. The owner's
            // trusted machines are exempt: rounds of one (adaptive replication) wait for them.
            var mix = _mixes.GetOrAdd(caller.Key, _ => new LeaseMix());
            // The noise first, when it is still to be measured; until it is, no claim can be decided, so nobody verifies.
            var noiseKnown = !MeasuresNoise || await MeasuredNoiseAsync(s, cancellationToken).ConfigureAwait(false) is not null;
            if (!noiseKnown && await TryMeasureLeaseAsync(s, caller, now, expires, cancellationToken).ConfigureAwait(false) is { } measure)
            {
                // Not counted against the verification budget: a few runs once, not a share of the swarm's work.
                return new LeaseReply(measure, 0);
            }

            if (noiseKnown && request.Verify && (caller.Trusted || _options.VerificationBudget >= 1 || mix.VerifyShare < _options.VerificationBudget)
                && await TakeJobAsync(s, caller, head, now, expires, cancellationToken).ConfigureAwait(false) is { } lease)
            {
                mix.Add(verify: true);
                return new LeaseReply(lease, 0);
            }

            mix.Add(verify: false);

            var seed = head.Seed;
            var id = await s.ScalarAsync<long>(
                """
                INSERT INTO leases (worker, kind, head_seq, job_id, seed, issued_ms, expires_ms, state)
                VALUES (@k, 'explore', @head, NULL, @seed, @now, @exp, 'active') RETURNING id
                """,
                cancellationToken, ("@k", caller.Key), ("@head", head.Sequence), ("@seed", seed), ("@now", now), ("@exp", expires)).ConfigureAwait(false);
            return new LeaseReply(new Lease(id, LeaseKind.Explore, head.Sequence, head.HeadId, (int)seed, DateTimeOffset.FromUnixTimeMilliseconds(expires)), 0);
        }, cancellationToken);
    }

    private async Task<Lease?> TakeJobAsync(Session s, Caller caller, HeadState head, long now, long expires, CancellationToken cancellationToken)
    {
        // Skip rows other coordinators are leasing right now rather than queue behind them.
        var skip = s.IsPostgres ? "FOR UPDATE OF j SKIP LOCKED" : "";
        var job = await s.SingleAsync(
            $"""
            SELECT j.id, j.claim_id, j.round, j.seed, j.lease_id, j.head_seq FROM jobs j
            WHERE j.state IN ('open', 'leased') AND (j.state = 'open' OR j.expires_ms < @now) AND (j.anchor = 0 OR (j.anchor = 1 AND @est = 1) OR @trusted = 1)
              AND j.claimer <> @k AND j.claimer_owner <> @o
              AND NOT EXISTS (SELECT 1 FROM jobs x WHERE x.claim_id = j.claim_id AND x.round = j.round AND x.owner = @o AND x.id <> j.id)
              AND NOT EXISTS (SELECT 1 FROM claims m WHERE m.bundled_in = j.claim_id AND m.status = 'pending' AND (m.worker = @k OR m.owner = @o))
            ORDER BY j.anchor DESC, j.id LIMIT 1 {skip}
            """,
            r => new
            {
                Id = r.Long("id"),
                Claim = r.Long("claim_id"),
                Round = r.Long("round"),
                Seed = r.Long("seed"),
                Lease = r.NullableLong("lease_id"),
                HeadSeq = r.Long("head_seq")
            },
            cancellationToken, ("@now", now), ("@est", caller.Established), ("@trusted", caller.Trusted), ("@k", caller.Key), ("@o", caller.Owner)).ConfigureAwait(false);
        if (job is null)
        {
            return null;
        }

        // Lock the claim, then look again: two keys of one owner leasing two jobs of one claim at once must not both win.
        // SKIP LOCKED: a report being decided holds the claim and then voids its jobs, this one included; waiting here (job
        // held, claim wanted) against it (claim held, job wanted) would be a deadlock that PostgreSQL breaks only after a second.
        // A merged round verifies its combined patch (see TryBundleAsync).
        var patch = await s.ScalarAsync<string>($"SELECT COALESCE(round_patch, patch) FROM claims WHERE id = @c AND status = 'pending' {(s.IsPostgres ? "FOR UPDATE SKIP LOCKED" : "")}",
            cancellationToken, ("@c", job.Claim)).ConfigureAwait(false);
        var sameOwner = await s.ScalarAsync<long>(
            "SELECT COUNT(*) FROM jobs WHERE claim_id = @c AND round = @r AND owner = @o AND id <> @j",
            cancellationToken, ("@c", job.Claim), ("@r", job.Round), ("@o", caller.Owner), ("@j", job.Id)).ConfigureAwait(false);
        if (patch is null || sameOwner > 0)
        {
            if (patch is null && await s.ScalarAsync<long>("SELECT COUNT(*) FROM claims WHERE id = @c AND status <> 'pending'",
                    cancellationToken, ("@c", job.Claim)).ConfigureAwait(false) > 0)
            {
                // A job left open on a decided claim would come first for every verifier and block the queue: void it.
                await s.ExecAsync("UPDATE jobs SET state = 'void' WHERE id = @j", cancellationToken, ("@j", job.Id)).ConfigureAwait(false);
            }

            return null;
        }

        if (job.Lease is { } lapsed)
        {
            await s.ExecAsync("UPDATE leases SET state = 'expired' WHERE id = @l", cancellationToken, ("@l", lapsed)).ConfigureAwait(false);
        }

        var id = await s.ScalarAsync<long>(
            """
            INSERT INTO leases (worker, kind, head_seq, job_id, seed, issued_ms, expires_ms, state)
            VALUES (@k, 'verify', @head, @j, @seed, @now, @exp, 'active') RETURNING id
            """,
            cancellationToken, ("@k", caller.Key), ("@head", job.HeadSeq), ("@j", job.Id), ("@seed", job.Seed), ("@now", now), ("@exp", expires))
            .ConfigureAwait(false);
        await s.ExecAsync(
            "UPDATE jobs SET state = 'leased', worker = @k, owner = @o, lease_id = @l, expires_ms = @exp WHERE id = @j",
            cancellationToken, ("@k", caller.Key), ("@o", caller.Owner), ("@l", id), ("@exp", expires), ("@j", job.Id)).ConfigureAwait(false);
        // What this key is sent to verify, it may never claim: recorded by effect, so a new text of the same change is caught too,
        // and by signature, so is the same edit claimed on a newer head (where a rebased claim's effect differs).
        // A merged round shows every member's change: all of them are exposed.
        await s.ExecAsync(
            "INSERT INTO exposed (worker, effect) SELECT @k, effect FROM claims WHERE (id = @c OR bundled_in = @c) AND effect IS NOT NULL ON CONFLICT DO NOTHING",
            cancellationToken, ("@k", caller.Key), ("@c", job.Claim)).ConfigureAwait(false);
        await s.ExecAsync(
            "INSERT INTO exposed (worker, effect) SELECT @k, signature FROM claims WHERE (id = @c OR bundled_in = @c) AND signature IS NOT NULL ON CONFLICT DO NOTHING",
            cancellationToken, ("@k", caller.Key), ("@c", job.Claim)).ConfigureAwait(false);
        await s.ExecAsync(
            "INSERT INTO exposed (worker, effect) SELECT @k, round_effect FROM claims WHERE id = @c AND round_effect IS NOT NULL ON CONFLICT DO NOTHING",
            cancellationToken, ("@k", caller.Key), ("@c", job.Claim)).ConfigureAwait(false);
        await s.ExecAsync(
            "INSERT INTO exposed (worker, effect) SELECT @k, round_signature FROM claims WHERE id = @c AND round_signature IS NOT NULL ON CONFLICT DO NOTHING",
            cancellationToken, ("@k", caller.Key), ("@c", job.Claim)).ConfigureAwait(false);
        // A reproduction round runs on the claim's own parent, which may be behind the head.
        var headId = job.HeadSeq == head.Sequence ? head.HeadId
            : job.HeadSeq == 0 ? HeadIds.Base(Project.BaseCommit)
            : (await s.ScalarAsync<string>("SELECT head_id FROM chain WHERE seq = @q", cancellationToken, ("@q", job.HeadSeq)).ConfigureAwait(false))!;
        return new Lease(id, LeaseKind.Verify, job.HeadSeq, headId, (int)job.Seed, DateTimeOffset.FromUnixTimeMilliseconds(expires),
            new VerifyJob(job.Claim, patch, caller.Trusted));
    }

    private sealed record LeaseRow(long Id, string Worker, string Kind, long HeadSeq, long? JobId, long Seed, long ExpiresMs, string State);

    private static Task<LeaseRow?> LeaseRowAsync(Session s, long id, CancellationToken cancellationToken) =>
        s.SingleAsync($"SELECT id, worker, kind, head_seq, job_id, seed, expires_ms, state FROM leases WHERE id = @id {s.ForUpdate}",
            r => new LeaseRow(r.Long("id"), r.Text("worker"), r.Text("kind"), r.Long("head_seq"), r.NullableLong("job_id"), r.Long("seed"),
                r.Long("expires_ms"), r.Text("state")),
            cancellationToken, ("@id", id));

    private static async Task<LeaseRow> OwnLeaseAsync(Session s, Caller caller, long id, string kind, CancellationToken cancellationToken)
    {
        var lease = await LeaseRowAsync(s, id, cancellationToken).ConfigureAwait(false);
        if (lease is null || lease.Worker != caller.Key)
        {
            throw new Refusal(404, "no such lease", $"lease #{id} is not one of yours; ask for work with POST /v1/leases");
        }

        if (lease.Kind != kind)
        {
            throw new Refusal(409, "wrong lease kind", $"lease #{id} is a {lease.Kind} lease, not {kind}");
        }

        return lease;
    }
}
