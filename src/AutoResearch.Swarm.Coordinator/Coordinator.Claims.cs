using AutoResearch.Swarm.Coordinator.Storage;
using AutoResearch.Swarm.Protocol.Messages;

namespace AutoResearch.Swarm.Coordinator;

internal sealed partial class Coordinator
{
    private const int MaxDescription = 200;

    /// <summary>
    /// Takes a win found under an explore lease. Refused at once when the patch breaks the boundaries (and the claimer loses its
    /// trust); a duplicate when someone claimed the same patch first or this key was sent it to verify; otherwise pending,
    /// with k verification jobs on the current head (at the claim's own seed when the head has not moved, to reproduce it).
    /// Claiming the same lease again returns the first answer.
    /// </summary>
    public Task<ClaimReply> ClaimAsync(Caller caller, ClaimRequest received, CancellationToken cancellationToken)
    {
        var request = ClaimSchema.Check(received);
        var description = Protocol.Messages.Text.Line(request.Description, MaxDescription);
        var now = Now;
        return _db.WriteAsync(async s =>
        {
            var lease = await OwnLeaseAsync(s, caller, request.LeaseId, "explore", cancellationToken).ConfigureAwait(false);
            var limit = request.Limit(Project, await ClaimSchema.HeadMetricAsync(s, lease.HeadSeq, cancellationToken).ConfigureAwait(false));
            request.CheckRange(limit);
            var existing = await s.SingleAsync("SELECT id, status, reason FROM claims WHERE lease_id = @l",
                ReadReply, cancellationToken, ("@l", lease.Id)).ConfigureAwait(false);
            if (existing is not null)
            {
                return existing;
            }

            if (lease.State != "active")
            {
                throw new Refusal(409, "lease already reported", $"lease #{lease.Id} was already reported ({lease.State}); ask for a new lease");
            }

            await CheckCooldownAsync(s, caller, now, cancellationToken).ConfigureAwait(false);
            var pending = await s.ScalarAsync<long>("SELECT COUNT(*) FROM claims WHERE worker = @k AND status = 'pending'",
                cancellationToken, ("@k", caller.Key)).ConfigureAwait(false);
            if (pending >= Quota(caller.Trust, caller.Trusted))
            {
                // 409, not 429: retrying will not help until a pending claim is decided; the worker logs the win instead.
                throw new Refusal(409, "claim quota", $"{pending} claims of yours are pending, your quota is {Quota(caller.Trust, caller.Trusted)}; it grows with verified results");
            }

            await s.ExecAsync("UPDATE leases SET state = 'done' WHERE id = @l", cancellationToken, ("@l", lease.Id)).ConfigureAwait(false);
            var (problems, effect) = await InspectAsync(request.Patch, lease.HeadSeq, cancellationToken).ConfigureAwait(false);
            var hash = HeadIds.Patch(request.Patch);
            ClaimStatus status;
            string? reason = null;
            if (problems.Count > 0)
            {
                status = ClaimStatus.Refused;
                reason = string.Join("; ", problems);
                await s.ExecAsync("UPDATE workers SET trust = 0, caught = caught + 1, rejected = rejected + 1 WHERE key = @k",
                    cancellationToken, ("@k", caller.Key)).ConfigureAwait(false);
                await PenalizeAsync(s, caller.Key, now, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                reason = await KnownEffectAsync(s, caller, effect!, cancellationToken).ConfigureAwait(false);
                status = reason is null ? ClaimStatus.Pending : ClaimStatus.Duplicate;
            }

            var id = await s.ScalarAsync<long>(
                """
                INSERT INTO claims (worker, owner, lease_id, parent_seq, seed, patch, patch_hash, effect, tree, signature, parent_metric, claimed_metric, log_digest,
                                    description, status, reason, created_ms, decided_ms)
                VALUES (@k, @o, @l, @p, @seed, @patch, @h, @e, @t, @sig, @pm, @cm, @d, @desc, @st, @r, @now, @dec) RETURNING id
                """,
                cancellationToken, ("@k", caller.Key), ("@o", caller.Owner), ("@l", lease.Id), ("@p", lease.HeadSeq), ("@seed", lease.Seed),
                ("@patch", request.Patch), ("@h", hash), ("@e", effect?.Identity), ("@t", effect?.Tree is { Length: > 0 } t ? t : null), ("@sig", effect?.Signature is { Length: > 0 } sig ? sig : null), ("@pm", request.ParentMetric), ("@cm", request.ClaimedMetric), ("@d", request.LogDigest),
                ("@desc", description), ("@st", Name(status)), ("@r", reason), ("@now", now), ("@dec", status == ClaimStatus.Pending ? null : now))
                .ConfigureAwait(false);
            await s.ExecAsync(
                """
                INSERT INTO experiments (worker, lease_id, head_seq, status, metric, description, patch, claim_id, at_ms)
                VALUES (@k, @l, @head, 'claimed', @m, @desc, @patch, @c, @now)
                """,
                cancellationToken, ("@k", caller.Key), ("@l", lease.Id), ("@head", lease.HeadSeq), ("@m", request.ClaimedMetric), ("@desc", description),
                ("@patch", status == ClaimStatus.Refused ? null : request.Patch), ("@c", id), ("@now", now)).ConfigureAwait(false);
            if (status == ClaimStatus.Pending)
            {
                // Into the queue, by claimed margin; PromoteAsync starts its first round (reproduction) when a slot is free.
                // Keys that have earned trust go first (fixed at queueing, so the queue's index serves the order).
                await s.ExecAsync("UPDATE claims SET waiting = 1, margin = @m, priority = @p WHERE id = @c",
                    cancellationToken, ("@m", request.Margin(Project.Spec.Objective, limit)),
                    ("@p", caller.Trusted || caller.Trust > 0 ? 0 : 1), ("@c", id)).ConfigureAwait(false);
                // Promotion changes other claims' rows: it runs under the head row, the lock every writer of claim rows takes
                // first (one order, no deadlocks; one promoter at a time, so no claim gets two rounds). Most of the time every
                // slot is busy and there is nothing to promote: then the head row is left alone. When another transaction holds
                // it (a decision, another promotion), this claim does not queue behind it: the next promotion (the next claim or
                // report, or the coordinator's periodic one) takes it from the queue.
                if (await BusySlotsAsync(s, cancellationToken).ConfigureAwait(false) < await SlotsAsync(s, now, cancellationToken).ConfigureAwait(false)
                    && await TryLockHeadAsync(s, cancellationToken).ConfigureAwait(false) is { } head)
                {
                    await PromoteAsync(s, head, now, cancellationToken).ConfigureAwait(false);
                }
            }

            return new ClaimReply(id, status, reason);
        }, cancellationToken);
    }

    /// <summary>Where claim <paramref name="id"/> stands.</summary>
    public async Task<ClaimReply> ClaimStatusAsync(long id, CancellationToken cancellationToken) =>
        await _db.ReadAsync(s => s.SingleAsync("SELECT id, status, reason FROM claims WHERE id = @id", ReadReply, cancellationToken, ("@id", id)),
            cancellationToken).ConfigureAwait(false)
        ?? throw new Refusal(404, "no such claim", $"claim #{id} does not exist");

    /// <summary>Records an explore lease's outcome that is not a claim, for the shared log. Reporting the same lease again is a no-op.</summary>
    public Task<Receipt> ReportExperimentAsync(Caller caller, ExperimentReport report, CancellationToken cancellationToken)
    {
        var status = Protocol.Messages.Text.Line(report.Status, 20);
        var description = Protocol.Messages.Text.Line(report.Description, MaxDescription);
        var patch = report.Patch is { } p && p.Length <= Project.MaxPatchBytes ? p : null;
        var metric = report.Metric is { } m && double.IsFinite(m) ? m : (double?)null;
        var now = Now;
        return _db.WriteAsync(async s =>
        {
            var lease = await OwnLeaseAsync(s, caller, report.LeaseId, "explore", cancellationToken).ConfigureAwait(false);
            if (lease.State != "active")
            {
                return new Receipt("recorded", "already reported");
            }

            await s.ExecAsync("UPDATE leases SET state = 'done' WHERE id = @l", cancellationToken, ("@l", lease.Id)).ConfigureAwait(false);
            await s.ExecAsync(
                """
                INSERT INTO experiments (worker, lease_id, head_seq, status, metric, description, patch, claim_id, at_ms)
                VALUES (@k, @l, @head, @st, @m, @desc, @patch, NULL, @now)
                """,
                cancellationToken, ("@k", caller.Key), ("@l", lease.Id), ("@head", lease.HeadSeq), ("@st", status), ("@m", metric),
                ("@desc", description), ("@patch", patch), ("@now", now)).ConfigureAwait(false);
            return new Receipt("recorded");
        }, cancellationToken);
    }

    private async Task StartRoundAsync(
        Session s, long claim, string claimer, string owner, long headSeq, long seed, int jobs, CancellationToken cancellationToken)
    {
        var round = await s.ScalarAsync<long>(
            "UPDATE claims SET round = round + 1, round_seq = @head, round_seed = @seed WHERE id = @c RETURNING round",
            cancellationToken, ("@head", headSeq), ("@seed", seed), ("@c", claim)).ConfigureAwait(false);
        if (jobs == 1 && Project.Verifiers > 1)
        {
            // A round of one (see ReplicasAsync): only one of the owner's trusted machines may take it.
            await AddJobAsync(s, claim, round, headSeq, seed, claimer, owner, TrustedAnchor, cancellationToken).ConfigureAwait(false);
            return;
        }

        for (var i = 0; i < jobs; i++)
        {
            // The first job of a round is the anchor: only a trusted or vouched-for key may take it.
            await AddJobAsync(s, claim, round, headSeq, seed, claimer, owner, anchor: i == 0, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AddJobAsync(
        Session s, long claim, long round, long headSeq, long seed, string claimer, string owner, bool anchor, CancellationToken cancellationToken) =>
        await AddJobAsync(s, claim, round, headSeq, seed, claimer, owner,
            anchor && (Anchored || await NeedsRecordAsync(s, claimer, owner, cancellationToken).ConfigureAwait(false)) ? 1 : 0, cancellationToken).ConfigureAwait(false);

    /// <param name="anchor">0: any key may take the job; 1: an established one; <see cref="TrustedAnchor"/>: a trusted one.</param>
    private static Task AddJobAsync(
        Session s, long claim, long round, long headSeq, long seed, string claimer, string owner, int anchor, CancellationToken cancellationToken) =>
        s.ExecAsync(
            """
            INSERT INTO jobs (claim_id, round, head_seq, seed, claimer, claimer_owner, anchor, state)
            VALUES (@c, @r, @head, @seed, @k, @o, @a, 'open')
            """,
            cancellationToken, ("@c", claim), ("@r", round), ("@head", headSeq), ("@seed", seed), ("@k", claimer), ("@o", owner), ("@a", anchor));

    private static ClaimReply ReadReply(System.Data.Common.DbDataReader r) =>
        new(r.Long("id"), Enum.Parse<ClaimStatus>(r.Text("status"), ignoreCase: true), r.NullableText("reason"));

    private static string Name(ClaimStatus status) => status.ToString().ToLowerInvariant();
}
