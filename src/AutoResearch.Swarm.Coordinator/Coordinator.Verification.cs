using System.Globalization;
using AutoResearch.Core.Acceptance;
using AutoResearch.Core.Spec;
using AutoResearch.Swarm.Coordinator.Storage;
using AutoResearch.Swarm.Protocol.Messages;

namespace AutoResearch.Swarm.Coordinator;

internal sealed partial class Coordinator
{
    /// <summary>A trusted verifier's report counts as this many untrusted ones.</summary>
    public const int TrustedWeight = 3;

    /// <summary>Jobs beyond k a round may add to break a disagreement or confirm a borderline win.</summary>
    private const int ExtraJobs = 2;

    /// <summary>
    /// Records a verify lease's result. When the round's last result is in, the claim is decided (see <see cref="DecideAsync"/>).
    /// The head row is locked first, so decisions and chain appends are serialized across coordinators.
    /// </summary>
    public Task<Receipt> ReportVerificationAsync(Caller caller, VerificationReport report, CancellationToken cancellationToken)
    {
        static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? x : null;
        var now = Now;
        return _db.WriteAsync(async s =>
        {
            // The head row first: a report may decide a claim, and a decision rewrites many claims' rows (rebases, stale ones),
            // so every transaction that writes claim rows takes the head row before any of them (one lock order: no deadlock,
            // which PostgreSQL would break only after a second). Reports are a few per second: serializing them costs nothing.
            await HeadAsync(s, lockRow: true, cancellationToken).ConfigureAwait(false);
            var lease = await OwnLeaseAsync(s, caller, report.LeaseId, "verify", cancellationToken).ConfigureAwait(false);
            // Reports of one claim are serialized on the claim's row (so exactly one sees its round complete).
            await s.ExecAsync($"SELECT id FROM claims WHERE id = (SELECT claim_id FROM jobs WHERE id = @j) {s.ForUpdate}",
                cancellationToken, ("@j", lease.JobId!.Value)).ConfigureAwait(false);
            var job = await s.SingleAsync($"SELECT id, claim_id, round, head_seq, seed, state, lease_id FROM jobs WHERE id = @j {s.ForUpdate}",
                r => new
                {
                    Id = r.Long("id"),
                    Claim = r.Long("claim_id"),
                    Round = r.Long("round"),
                    HeadSeq = r.Long("head_seq"),
                    Seed = r.Long("seed"),
                    State = r.Text("state"),
                    Lease = r.NullableLong("lease_id")
                },
                cancellationToken, ("@j", lease.JobId!.Value)).ConfigureAwait(false);
            if (job!.Lease != lease.Id)
            {
                throw new Refusal(410, "lease lapsed", $"lease #{lease.Id} expired and its job was offered to another worker; ask for a new lease");
            }

            if (job.State == "done")
            {
                return new Receipt("recorded", "already reported");
            }

            if (job.State == "void")
            {
                await s.ExecAsync("UPDATE leases SET state = 'done' WHERE id = @l", cancellationToken, ("@l", lease.Id)).ConfigureAwait(false);
                return new Receipt("void", "the head moved before this report; the claim is verified again on the new head");
            }

            var parent = Finite(report.ParentMetric);
            var candidate = Finite(report.CandidateMetric);
            await s.ExecAsync(
                """
                INSERT INTO reports (job_id, claim_id, round, head_seq, seed, worker, trusted, established, applies, parent_metric, candidate_metric,
                                     holdout_parent, holdout_candidate, log_digest, agreed, at_ms)
                VALUES (@j, @c, @r, @head, @seed, @k, @t, @e, @a, @pm, @cm, @hp, @hc, @d, NULL, @now)
                """,
                cancellationToken, ("@j", job.Id), ("@c", job.Claim), ("@r", job.Round), ("@head", job.HeadSeq), ("@seed", job.Seed),
                ("@k", caller.Key), ("@t", caller.Trusted), ("@e", caller.Established), ("@a", report.Applies), ("@pm", parent), ("@cm", candidate),
                ("@hp", caller.Trusted ? Finite(report.HoldoutParent) : null), ("@hc", caller.Trusted ? Finite(report.HoldoutCandidate) : null),
                ("@d", Protocol.Messages.Text.Line(report.LogDigest, 64)), ("@now", now)).ConfigureAwait(false);
            await s.ExecAsync("UPDATE jobs SET state = 'done' WHERE id = @j", cancellationToken, ("@j", job.Id)).ConfigureAwait(false);
            await s.ExecAsync("UPDATE leases SET state = 'done' WHERE id = @l", cancellationToken, ("@l", lease.Id)).ConfigureAwait(false);
            var open = await s.ScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE claim_id = @c AND round = @r AND state IN ('open', 'leased')",
                cancellationToken, ("@c", job.Claim), ("@r", job.Round)).ConfigureAwait(false);
            if (open == 0)
            {
                var head = await HeadAsync(s, lockRow: true, cancellationToken).ConfigureAwait(false);
                await DecideAsync(s, head, job.Claim, job.Round, now, cancellationToken).ConfigureAwait(false);
                await PromoteAsync(s, await HeadAsync(s, lockRow: false, cancellationToken).ConfigureAwait(false), now, cancellationToken).ConfigureAwait(false);
            }

            return new Receipt("recorded");
        }, cancellationToken);
    }

    /// <param name="RoundPatch">The combined patch when this claim leads a merged round (see <see cref="TryBundleAsync"/>).</param>
    private sealed record ClaimRow(
        long Id, string Worker, string Owner, long ParentSeq, long Seed, string Patch, double ParentMetric, double ClaimedMetric, string Description,
        string Status, long RoundSeq, long RoundSeed, string? RoundPatch = null)
    {
        /// <summary>What the round verifies and the chain takes: the merged patch, or the claim's own.</summary>
        public string Verified => RoundPatch ?? Patch;
    }

    private sealed record ReportRow(long Id, string Worker, bool Trusted, bool Established, bool Applies, double? Parent, double? Candidate, double? HoldoutParent, double? HoldoutCandidate)
    {
        public int Weight => Trusted ? TrustedWeight : 1;

        public bool Crashed => Parent is null || Candidate is null;
    }

    /// <summary>
    /// Decides a claim once every job of its round reported. The reports vote, trusted ones counting <see cref="TrustedWeight"/>:
    /// first whether the patch applies to the head (else stale); then on the numbers, two reports agreeing when parent and candidate
    /// each differ by at most <see cref="SwarmProject.Tolerance"/> (same code, same seed). Without a strict majority another job is
    /// added (up to k+2), then the claim is rejected undecided. The minority is caught (its trust reset). A reproduction round
    /// (the claim's own head and seed) that does not reproduce the claimed metrics is a false claim. Otherwise Core's acceptance rule
    /// decides on the majority's paired values with σ for this budget, and a trusted holdout score must improve too.
    /// </summary>
    private async Task DecideAsync(Session s, HeadState head, long claimId, long round, long now, CancellationToken cancellationToken)
    {
        var claim = (await s.SingleAsync(
            "SELECT id, worker, owner, parent_seq, seed, patch, parent_metric, claimed_metric, description, status, round_seq, round_seed, round_patch FROM claims WHERE id = @c",
            r => new ClaimRow(r.Long("id"), r.Text("worker"), r.Text("owner"), r.Long("parent_seq"), r.Long("seed"), r.Text("patch"), r.Double("parent_metric"),
                r.Double("claimed_metric"), r.Text("description"), r.Text("status"), r.Long("round_seq"), r.Long("round_seed"), r.NullableText("round_patch")),
            cancellationToken, ("@c", claimId)).ConfigureAwait(false))!;
        // Round 1 reproduces the claim on its own parent at its own seed; later rounds verify it rebased onto the head.
        var reproduction = claim.RoundSeq == claim.ParentSeq && claim.RoundSeed == claim.Seed;
        // Earlier rounds of this claim on the same head, each at a seed of its own: a borderline win's confirmations (see the
        // end). Their agreed pairs join this round's; a confirmation of a reproduction on an old head goes on like the reproduction.
        var earlier = await s.QueryAsync(
            """
            SELECT round, AVG(parent_metric) AS p, AVG(candidate_metric) AS c FROM reports
            WHERE claim_id = @c AND head_seq = @h AND round < @r AND agreed = 1 AND parent_metric IS NOT NULL AND candidate_metric IS NOT NULL
            GROUP BY round ORDER BY round
            """,
            r => (Parent: r.Double("p"), Candidate: r.Double("c")), cancellationToken, ("@c", claimId), ("@h", claim.RoundSeq), ("@r", round)).ConfigureAwait(false);
        if (claim.Status != "pending" || (!reproduction && earlier.Count == 0 && claim.RoundSeq != head.Sequence))
        {
            return;
        }

        var reports = await s.QueryAsync(
            "SELECT id, worker, trusted, established, applies, parent_metric, candidate_metric, holdout_parent, holdout_candidate FROM reports WHERE claim_id = @c AND round = @r ORDER BY id",
            r => new ReportRow(r.Long("id"), r.Text("worker"), r.Flag("trusted"), r.Flag("established"), r.Flag("applies"), r.NullableDouble("parent_metric"),
                r.NullableDouble("candidate_metric"), r.NullableDouble("holdout_parent"), r.NullableDouble("holdout_candidate")),
            cancellationToken, ("@c", claimId), ("@r", round)).ConfigureAwait(false);
        var jobs = await s.ScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE claim_id = @c AND round = @r", cancellationToken, ("@c", claimId), ("@r", round))
            .ConfigureAwait(false);
        var canAdd = jobs < Project.Verifiers + ExtraJobs;
        // A round of fewer than k jobs (adaptive replication) settles only a clean win; any doubt is settled by the full k.
        if (jobs < Project.Verifiers && !await CleanWinAsync(s, claim, reproduction, reports, cancellationToken).ConfigureAwait(false))
        {
            await AddJobAsync(s, claimId, round, claim.RoundSeq, claim.RoundSeed, claim.Worker, claim.Owner, anchor: true, cancellationToken).ConfigureAwait(false);
            return;
        }

        int applyWeight = reports.Where(r => r.Applies).Sum(r => r.Weight), staleWeight = reports.Where(r => !r.Applies).Sum(r => r.Weight);
        if (staleWeight >= applyWeight)
        {
            if (staleWeight == applyWeight && canAdd)
            {
                await AddJobAsync(s, claimId, round, claim.RoundSeq, claim.RoundSeed, claim.Worker, claim.Owner, anchor: true, cancellationToken).ConfigureAwait(false);
                return;
            }

            await MarkAsync(s, reports, r => !r.Applies, cancellationToken).ConfigureAwait(false);
            await EndAsync(s, claim, ClaimStatus.Stale, $"does not apply to head {head.Sequence} (said {staleWeight} of {staleWeight + applyWeight} votes)",
                now, cancellationToken).ConfigureAwait(false);
            return;
        }

        var voting = reports.Where(r => r.Applies).ToList();
        var anchor = voting.OrderByDescending(r => voting.Where(o => Agree(r, o)).Sum(o => o.Weight)).ThenBy(r => r.Id).First();
        var majority = voting.Where(o => Agree(anchor, o)).ToList();
        // A majority needs an established member: keys that only ever agree with each other (Sybils running one
        // lazy script) cannot outvote the round's anchor.
        var anchored = Anchored || await s.ScalarAsync<long>("SELECT COUNT(*) FROM jobs WHERE claim_id = @c AND round = @r AND anchor >= 1",
            cancellationToken, ("@c", claimId), ("@r", round)).ConfigureAwait(false) > 0;
        if (2 * majority.Sum(r => r.Weight) <= applyWeight || (anchored && !majority.Any(r => r.Established)))
        {
            if (canAdd)
            {
                await AddJobAsync(s, claimId, round, claim.RoundSeq, claim.RoundSeed, claim.Worker, claim.Owner, anchor: true, cancellationToken).ConfigureAwait(false);
                return;
            }

            await EndAsync(s, claim, ClaimStatus.Rejected, "verifiers disagree and no majority formed", now, cancellationToken).ConfigureAwait(false);
            return;
        }

        await MarkAsync(s, reports, r => r.Applies && Agree(anchor, r), cancellationToken).ConfigureAwait(false);
        if (anchor.Crashed)
        {
            await EndAsync(s, claim, ClaimStatus.Rejected, "the candidate or its parent crashed on the verifiers", now, cancellationToken).ConfigureAwait(false);
            return;
        }

        var weight = majority.Sum(r => r.Weight);
        var parent = majority.Sum(r => r.Weight * r.Parent!.Value) / weight;
        var candidate = majority.Sum(r => r.Weight * r.Candidate!.Value) / weight;
        var inv = CultureInfo.InvariantCulture;
        if (reproduction && (Math.Abs(candidate - claim.ClaimedMetric) > Project.Tolerance || Math.Abs(parent - claim.ParentMetric) > Project.Tolerance))
        {
            await s.ExecAsync("UPDATE workers SET trust = 0, caught = caught + 1 WHERE key = @k", cancellationToken, ("@k", claim.Worker)).ConfigureAwait(false);
            await PenalizeAsync(s, claim.Worker, now, cancellationToken).ConfigureAwait(false);
            await EndAsync(s, claim, ClaimStatus.False, string.Create(inv,
                $"claimed {claim.ClaimedMetric:0.######} (parent {claim.ParentMetric:0.######}) at seed {claim.Seed}; verifiers measured {candidate:0.######} (parent {parent:0.######})"),
                now, cancellationToken).ConfigureAwait(false);
            return;
        }

        var objective = Project.Spec.Objective;
        var sigma = await DecisionSigmaAsync(s, cancellationToken).ConfigureAwait(false);
        // One value per seed: the round's reports ran one code at one seed and agreed, so they are one measurement (k copies of
        // it would pass for a confirmation they are not). Earlier rounds' seeds come first, each paired with its own parent run.
        var values = earlier.Select(e => parent + (e.Candidate - e.Parent)).Append(candidate).ToList();
        var verdict = AcceptanceRule.Decide(Project.Spec.Acceptance, objective, sigma, parent, values, AcceptanceRule.IsNetDeletion(claim.Verified));
        if (verdict.Outcome == VerdictOutcome.Confirm && earlier.Count < Project.Spec.Acceptance.ConfirmRuns + 1)
        {
            // Another job at this seed would measure the same number again (and, with one owner besides the claimer's, nobody
            // could take it): a borderline win is run again at a fresh seed, in a round of its own on the same head.
            await StartRoundAsync(s, claimId, claim.Worker, claim.Owner, claim.RoundSeq, NewSeed(), Project.Verifiers, cancellationToken).ConfigureAwait(false);
            return;
        }

        var holdout = majority.Where(r => r.HoldoutParent is not null && r.HoldoutCandidate is not null).ToList();
        if (verdict.Outcome == VerdictOutcome.Keep && holdout.Count > 0)
        {
            var gain = objective.Improvement(holdout.Average(r => r.HoldoutCandidate!.Value), holdout.Average(r => r.HoldoutParent!.Value));
            if (gain <= 0 && !AcceptanceRule.IsNetDeletion(claim.Verified))
            {
                await EndAsync(s, claim, ClaimStatus.Rejected, string.Create(inv, $"{verdict.Reason}, but no better on the holdout ({gain:+0.######;-0.######;0})"),
                    now, cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        if (verdict.Outcome != VerdictOutcome.Keep)
        {
            await EndAsync(s, claim, ClaimStatus.Rejected, verdict.Reason, now, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (claim.RoundSeq != head.Sequence)
        {
            // A real win where it was made, but the chain has moved on: it queues, best margin first, to be verified again
            // rebased onto the head (see PromoteAsync).
            await s.ExecAsync("UPDATE claims SET waiting = 1, reproduced = 1, margin = @m WHERE id = @c", cancellationToken, ("@m", verdict.Margin), ("@c", claim.Id))
                .ConfigureAwait(false);
            return;
        }

        await AcceptAsync(s, head, claim, candidate, verdict.Margin, verdict.Reason, now, cancellationToken).ConfigureAwait(false);
    }

    private bool Agree(ReportRow a, ReportRow b) =>
        (a.Crashed && b.Crashed)
        || (!a.Crashed && !b.Crashed
            && Math.Abs(a.Parent!.Value - b.Parent!.Value) <= Project.Tolerance
            && Math.Abs(a.Candidate!.Value - b.Candidate!.Value) <= Project.Tolerance);

    /// <summary>Marks reports as agreeing with the decision or not: the majority earn verification credit and trust, the rest are caught.</summary>
    /// <remarks>An agreeing report earns a vouch when another agreeing report came from an established key.</remarks>
    private static async Task MarkAsync(Session s, List<ReportRow> reports, Func<ReportRow, bool> agreed, CancellationToken cancellationToken)
    {
        var agreeing = reports.Where(agreed).ToList();
        foreach (var report in reports)
        {
            var ok = agreeing.Contains(report);
            var vouch = ok && agreeing.Any(o => o.Id != report.Id && o.Established);
            await s.ExecAsync("UPDATE reports SET agreed = @a WHERE id = @id", cancellationToken, ("@a", ok), ("@id", report.Id)).ConfigureAwait(false);
            await s.ExecAsync(ok
                    ? "UPDATE workers SET verifications = verifications + 1, verification_credit = verification_credit + 1, trust = trust + 1, vouched = vouched + @v WHERE key = @k"
                    : "UPDATE workers SET verifications = verifications + 1, trust = 0, vouched = 0, caught = caught + 1 WHERE key = @k",
                cancellationToken, ("@k", report.Worker), ("@v", vouch ? 1 : 0)).ConfigureAwait(false);
        }
    }

    /// <summary>Ends a round without a link: a merged round is dissolved (its claims verified alone next), any other claim closed.</summary>
    private static Task EndAsync(Session s, ClaimRow claim, ClaimStatus status, string reason, long now, CancellationToken cancellationToken) =>
        claim.RoundPatch is not null ? DissolveAsync(s, claim.Id, cancellationToken) : CloseAsync(s, claim, status, reason, now, cancellationToken);

    private static async Task CloseAsync(Session s, ClaimRow claim, ClaimStatus status, string reason, long now, CancellationToken cancellationToken)
    {
        await s.ExecAsync("UPDATE claims SET status = @st, reason = @r, decided_ms = @now WHERE id = @c",
            cancellationToken, ("@st", Name(status)), ("@r", reason), ("@now", now), ("@c", claim.Id)).ConfigureAwait(false);
        await s.ExecAsync("UPDATE jobs SET state = 'void' WHERE claim_id = @c AND state IN ('open', 'leased')", cancellationToken, ("@c", claim.Id))
            .ConfigureAwait(false);
        if (status != ClaimStatus.Accepted)
        {
            await s.ExecAsync("UPDATE workers SET rejected = rejected + 1 WHERE key = @k", cancellationToken, ("@k", claim.Worker)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Appends the claim to the chain, credits its claimer (the first to claim this patch: later copies were marked duplicates),
    /// and rebases every other pending claim onto the new head: its open jobs are voided and a new round starts there, up to
    /// <see cref="CoordinatorOptions.MaxRebases"/> times, after which it is stale.
    /// </summary>
    private async Task AcceptAsync(Session s, HeadState head, ClaimRow claim, double metric, double margin, string reason, long now, CancellationToken cancellationToken)
    {
        var next = new HeadState(head.Sequence + 1, HeadIds.Next(head.HeadId, claim.Verified), metric, NewSeed());
        var merged = claim.RoundPatch is null ? 0
            : await s.ScalarAsync<long>("SELECT COUNT(*) FROM claims WHERE bundled_in = @c AND status = 'pending'", cancellationToken, ("@c", claim.Id)).ConfigureAwait(false);
        var description = merged == 0 ? claim.Description : $"{claim.Description} (+{merged} merged)";
        var (sequence, headId) = (next.Sequence, next.HeadId);
        await s.ExecAsync(
            """
            INSERT INTO chain (seq, head_id, claim_id, worker, patch, metric, improvement, description, at_ms)
            VALUES (@seq, @id, @c, @k, @patch, @m, @imp, @desc, @now)
            """,
            cancellationToken, ("@seq", sequence), ("@id", headId), ("@c", claim.Id), ("@k", claim.Worker), ("@patch", claim.Verified), ("@m", metric),
            ("@imp", margin), ("@desc", description), ("@now", now)).ConfigureAwait(false);
        await s.ExecAsync("UPDATE state SET head_seq = @seq, head_id = @id, head_metric = @m, head_seed = @seed WHERE id = 1",
            cancellationToken, ("@seq", sequence), ("@id", headId), ("@m", metric), ("@seed", next.Seed)).ConfigureAwait(false);
        await CloseAsync(s, claim, ClaimStatus.Accepted, reason, now, cancellationToken).ConfigureAwait(false);
        var share = await AcceptMembersAsync(s, claim.Id, sequence, margin, now, cancellationToken).ConfigureAwait(false);
        await s.ExecAsync(
            "UPDATE workers SET improvement_credit = improvement_credit + @imp, accepted = accepted + 1, trust = trust + 1 WHERE key = @k",
            cancellationToken, ("@imp", share), ("@k", claim.Worker)).ConfigureAwait(false);

        // Claims still reproducing on their own parent keep going; those verifying on the old head go back to the queue.
        await s.ExecAsync(
            """
            UPDATE jobs SET state = 'void' WHERE state IN ('open', 'leased')
              AND claim_id IN (SELECT id FROM claims WHERE status = 'pending' AND waiting = 0 AND reproduced = 1)
            """, cancellationToken).ConfigureAwait(false);
        await s.ExecAsync("UPDATE claims SET waiting = 1 WHERE status = 'pending' AND reproduced = 1", cancellationToken).ConfigureAwait(false);
        // Merged rounds on the old head are over too: their claims are merged afresh on the new head.
        await s.ExecAsync("UPDATE claims SET bundled_in = NULL WHERE status = 'pending' AND bundled_in IS NOT NULL", cancellationToken).ConfigureAwait(false);
        await s.ExecAsync("UPDATE claims SET round_patch = NULL, round_effect = NULL, round_signature = NULL WHERE status = 'pending' AND round_patch IS NOT NULL",
            cancellationToken).ConfigureAwait(false);

        // Waiting claims whose parent is now more than MaxRebases heads behind will not get their turn: stale.
        var stale = await s.QueryAsync(
            "SELECT id, worker FROM claims WHERE status = 'pending' AND waiting = 1 AND parent_seq < @oldest",
            r => (Id: r.Long("id"), Worker: r.Text("worker")), cancellationToken, ("@oldest", sequence - _options.MaxRebases)).ConfigureAwait(false);
        // Hundreds of claims can go stale at once when the chain moves under a busy swarm: a few statements per chunk, not two per claim.
        var reasonText = $"waited while the chain moved more than {_options.MaxRebases} heads past its parent; claim it again on the head";
        foreach (var chunk in stale.Chunk(StaleChunk))
        {
            // The ids come from the database as integers: safe to write into the statement.
            var ids = string.Join(',', chunk.Select(c => c.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            await s.ExecAsync($"UPDATE claims SET status = 'stale', reason = @r, decided_ms = @now WHERE id IN ({ids})",
                cancellationToken, ("@r", reasonText), ("@now", now)).ConfigureAwait(false);
            var perWorker = chunk.GroupBy(c => c.Worker, StringComparer.Ordinal).Select((g, i) => (Key: g.Key, Count: g.Count(), Index: i)).ToList();
            var cases = string.Join(' ', perWorker.Select(w => $"WHEN @k{w.Index} THEN {w.Count}"));
            var parameters = perWorker.Select(w => ($"@k{w.Index}", (object?)w.Key)).ToArray();
            await s.ExecAsync(
                $"UPDATE workers SET rejected = rejected + CASE key {cases} ELSE 0 END WHERE key IN ({string.Join(',', perWorker.Select(w => $"@k{w.Index}"))})",
                cancellationToken, parameters).ConfigureAwait(false);
        }
    }

    /// <summary>Stale claims closed per pair of statements.</summary>
    private const int StaleChunk = 200;

    /// <summary>
    /// At least this many claims may be verified at once; more in a bigger swarm (<see cref="SlotsAsync"/>). A thousand workers
    /// claim far more than the chain can take, and every round on a head that then moves is wasted: the queue verifies the most
    /// promising claims first (keys with trust before new or reset ones, then by margin: claimed until reproduced, verified
    /// after) and the rest wait or go stale.
    /// </summary>
    public const int VerificationSlots = 8;

    /// <summary>The last count of slots and when it was made (a record: read and replaced whole, by any thread).</summary>
    private sealed record SlotCount(long At, int Slots);

    private SlotCount? _slots;

    /// <summary>
    /// The claims that may be verified at once: one per worker the verification budget of the workers seen lately gives (a
    /// round of k jobs is done by k of them, but many rounds wait on their verifiers or on a trusted one), at least
    /// <see cref="VerificationSlots"/>. Counted at most once every 5 s.
    /// </summary>
    private async Task<int> SlotsAsync(Session s, long now, CancellationToken cancellationToken)
    {
        if (_slots is { } known && now - known.At < 5000)
        {
            return known.Slots;
        }

        var active = await s.ScalarAsync<long>("SELECT COUNT(*) FROM workers WHERE last_seen_ms > @since", cancellationToken,
            ("@since", now - (long)LeaseDuration.TotalMilliseconds)).ConfigureAwait(false);
        var slots = Math.Max(VerificationSlots, (int)Math.Ceiling(active * _options.VerificationBudget));
        _slots = new SlotCount(now, slots);
        return slots;
    }

    /// <summary>The most verification slots the claims of one owner hold at once.</summary>
    public const int SlotsPerOwner = 2;

    /// <summary>How far down the queue promotion looks for claims of owners below <see cref="SlotsPerOwner"/>.</summary>
    private const int QueueLookahead = 500;

    /// <summary>
    /// Fills free verification slots from the queue: a claim never reproduced gets its reproduction round (its parent, its seed);
    /// a reproduced one is verified rebased onto <paramref name="head"/>. (A claim that falls more than
    /// <see cref="CoordinatorOptions.MaxRebases"/> heads behind before its turn is made stale when the head moves.)
    /// </summary>
    private async Task PromoteAsync(Session s, HeadState head, long now, CancellationToken cancellationToken)
    {
        var busy = await BusySlotsAsync(s, cancellationToken).ConfigureAwait(false);
        var slots = await SlotsAsync(s, now, cancellationToken).ConfigureAwait(false);
        if (busy >= slots)
        {
            return;
        }

        // One owner holds at most SlotsPerOwner of the slots: a fast machine's own claims must not take every slot, least of
        // all a trusted one's, whose claims need an anchor from some other established key that only its verifying can make.
        var active = (await s.QueryAsync("SELECT owner, COUNT(*) AS n FROM claims WHERE status = 'pending' AND waiting = 0 AND bundled_in IS NULL GROUP BY owner",
            r => (Owner: r.Text("owner"), Count: r.Long("n")), cancellationToken).ConfigureAwait(false))
            .ToDictionary(a => a.Owner, a => a.Count, StringComparer.Ordinal);
        var queue = await s.QueryAsync(
            """
            SELECT id, worker, owner, parent_seq, seed, reproduced FROM claims
            WHERE status = 'pending' AND waiting = 1 ORDER BY priority, margin DESC, id LIMIT @n
            """,
            r => (Id: r.Long("id"), Worker: r.Text("worker"), Owner: r.Text("owner"), Parent: r.Long("parent_seq"), Seed: r.Long("seed"), Reproduced: r.Flag("reproduced")),
            cancellationToken, ("@n", QueueLookahead)).ConfigureAwait(false);
        var best = new List<(long Id, string Worker, string Owner, long Parent, long Seed, bool Reproduced)>();
        // Wins still being reproduced on an older head will want a rebase too: a reproduced claim waits a little for them, so
        // that they are merged into one round rather than verified one by one (see TryBundleAsync).
        var gathering = await s.ScalarAsync<long>(
            "SELECT COUNT(*) FROM claims WHERE status = 'pending' AND waiting = 0 AND reproduced = 0 AND round_seq < @head",
            cancellationToken, ("@head", head.Sequence)).ConfigureAwait(false) > 0;
        foreach (var claim in queue)
        {
            if (best.Count >= slots - busy)
            {
                break;
            }

            if (claim.Reproduced && gathering && await WaitedAsync(s, claim.Id, now, cancellationToken).ConfigureAwait(false) < MergeWait)
            {
                continue;
            }

            if (active.GetValueOrDefault(claim.Owner) < SlotsPerOwner)
            {
                active[claim.Owner] = active.GetValueOrDefault(claim.Owner) + 1;
                best.Add(claim);
            }
        }

        foreach (var claim in best)
        {
            if (claim.Reproduced && await s.ScalarAsync<long>("SELECT COUNT(*) FROM claims WHERE id = @c AND bundled_in IS NOT NULL",
                    cancellationToken, ("@c", claim.Id)).ConfigureAwait(false) > 0)
            {
                // Merged into a claim promoted just before it: it is verified in that round.
                continue;
            }

            if (claim.Reproduced)
            {
                await RebaseAsync(s, claim.Id, claim.Worker, claim.Owner, head, now, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Round 1 reproduces the claim where it was made: its parent, its seed. Fabricated numbers cannot survive that.
                await s.ExecAsync("UPDATE claims SET waiting = 0 WHERE id = @c", cancellationToken, ("@c", claim.Id)).ConfigureAwait(false);
                await StartRoundAsync(s, claim.Id, claim.Worker, claim.Owner, claim.Parent, claim.Seed,
                    await ReplicasAsync(s, claim.Worker, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Claims in a round of their own or leading a merged one (merged members ride in their lead's slot).</summary>
    /// <summary>How long a reproduced claim waits for others still being reproduced before it is verified on the head alone.</summary>
    private TimeSpan MergeWait => LeaseDuration / 10;

    /// <summary>How long <paramref name="claim"/> has waited since its last verification report.</summary>
    private static async Task<TimeSpan> WaitedAsync(Session s, long claim, long now, CancellationToken cancellationToken) =>
        TimeSpan.FromMilliseconds(now - (await s.ScalarAsync<long?>("SELECT MAX(at_ms) FROM reports WHERE claim_id = @c", cancellationToken, ("@c", claim))
            .ConfigureAwait(false) ?? now));

    private static Task<long> BusySlotsAsync(Session s, CancellationToken cancellationToken) =>
        s.ScalarAsync<long>("SELECT COUNT(*) FROM claims WHERE status = 'pending' AND waiting = 0 AND bundled_in IS NULL", cancellationToken);

    /// <summary>Voids a claim's open jobs and verifies it afresh on <paramref name="head"/> at its seed; stale after too many rebases.</summary>
    private async Task RebaseAsync(Session s, long claim, string worker, string owner, HeadState head, long now, CancellationToken cancellationToken)
    {
        await s.ExecAsync("UPDATE jobs SET state = 'void' WHERE claim_id = @c AND state IN ('open', 'leased')", cancellationToken, ("@c", claim))
            .ConfigureAwait(false);
        var rebases = await s.ScalarAsync<long>("UPDATE claims SET rebases = rebases + 1, waiting = 0 WHERE id = @c RETURNING rebases", cancellationToken, ("@c", claim))
            .ConfigureAwait(false);
        if (rebases > _options.MaxRebases)
        {
            await s.ExecAsync("UPDATE claims SET status = 'stale', reason = @r, decided_ms = @now WHERE id = @c",
                cancellationToken, ("@r", $"rebased {rebases - 1} times while the chain moved on; claim it again on the head"), ("@now", now), ("@c", claim))
                .ConfigureAwait(false);
            await s.ExecAsync("UPDATE workers SET rejected = rejected + 1 WHERE key = @k", cancellationToken, ("@k", worker)).ConfigureAwait(false);
            return;
        }

        await TryBundleAsync(s, claim, head, cancellationToken).ConfigureAwait(false);
        await StartRoundAsync(s, claim, worker, owner, head.Sequence, head.Seed, Project.Verifiers, cancellationToken).ConfigureAwait(false);
    }
}
