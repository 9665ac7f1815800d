using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Simulator;
using AutoResearch.Swarm.Tests.Support;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Tests;

public sealed class VerificationTests
{
    private static readonly string s_base = SyntheticObjective.BaseText;

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Honest_claim_is_verified_by_two_others_and_appended_to_the_chain_with_credit(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var patch = swarm.BestPatch(s_base);

        var claim = await swarm.ClaimAsync(alice, s_base, patch);
        var own = await TestSwarm.LeaseAsync(alice, LeaseKind.Explore);
        await swarm.VerifyHonestlyAsync(bob, s_base);
        await swarm.VerifyHonestlyAsync(carol, s_base);

        Assert.Equal(ClaimStatus.Pending, claim.Status);
        Assert.Null(own.Verify);
        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(claim.ClaimId)).Status);
        var chain = await alice.ChainAsync(0);
        Assert.Equal(patch, Assert.Single(chain).Patch);
        Assert.Equal(alice.Key.PublicKey, chain[0].Worker);
        Assert.Equal(2, chain[0].Verifications);
        var board = await alice.LeaderboardAsync(0, 10);
        Assert.True(board.Single(e => e.Worker == alice.Key.PublicKey).ImprovementCredit > 0.02);
        Assert.Equal(1, board.Single(e => e.Worker == bob.Key.PublicKey).VerificationCredit);
        Assert.Equal(1, (await alice.HeadAsync()).Sequence);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Fabricated_claim_is_false_and_resets_the_claimers_trust(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var patch = SyntheticObjective.Patch(s_base, 3, 0.01);

        var claim = await swarm.ClaimAsync(alice, s_base, patch, claimed: 0.5);
        await swarm.VerifyHonestlyAsync(bob, s_base);
        await swarm.VerifyHonestlyAsync(carol, s_base);

        var status = await alice.ClaimStatusAsync(claim.ClaimId);
        Assert.Equal(ClaimStatus.False, status.Status);
        Assert.Empty(await alice.ChainAsync(0));
        var board = await alice.LeaderboardAsync(0, 10);
        Assert.Equal(1, board.Single(e => e.Worker == alice.Key.PublicKey).Caught);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Keys_of_one_owner_never_verify_their_owners_claim_nor_one_claim_twice(string db)
    {
        // Owners are keys unless the operator links them: a name a worker declares groups nothing.
        using WorkerKey a1 = WorkerKey.Generate(), a2 = WorkerKey.Generate(), b1 = WorkerKey.Generate(), b2 = WorkerKey.Generate();
        var links = new Dictionary<string, string> { [a1.PublicKey] = "alice", [a2.PublicKey] = "alice", [b1.PublicKey] = "bob", [b2.PublicKey] = "bob" };
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { Owners = links });
        var alice = await swarm.JoinAsync("alice", a1);
        var alice2 = await swarm.JoinAsync("alice", a2);
        var bob = await swarm.JoinAsync("bob", b1);
        var bob2 = await swarm.JoinAsync("bob", b2);

        await swarm.ClaimAsync(alice, s_base, swarm.BestPatch(s_base));
        var sameOwner = await TestSwarm.LeaseAsync(alice2, LeaseKind.Explore);
        var first = await TestSwarm.LeaseAsync(bob, LeaseKind.Verify);
        var second = await TestSwarm.LeaseAsync(bob2, LeaseKind.Explore);

        Assert.Null(sameOwner.Verify);
        Assert.NotNull(first.Verify);
        Assert.Null(second.Verify);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_patch_is_credited_to_its_first_claim_and_never_to_a_verifier_sent_it(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var patch = swarm.BestPatch(s_base);

        var original = await swarm.ClaimAsync(alice, s_base, patch);
        var sent = await TestSwarm.LeaseAsync(bob, LeaseKind.Verify);
        var byVerifier = await swarm.ClaimAsync(bob, s_base, sent.Verify!.Patch);
        var byOther = await swarm.ClaimAsync(carol, s_base, patch);

        Assert.Equal(ClaimStatus.Pending, original.Status);
        Assert.Equal(ClaimStatus.Duplicate, byVerifier.Status);
        Assert.Contains("sent to you", byVerifier.Reason, StringComparison.Ordinal);
        Assert.Equal(ClaimStatus.Duplicate, byOther.Status);
        Assert.Contains($"#{original.ClaimId}", byOther.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_pending_patch_is_hidden_from_the_shared_log_until_decided_and_failures_are_logged(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var crashed = await TestSwarm.LeaseAsync(alice, LeaseKind.Explore);
        await alice.ReportExperimentAsync(new ExperimentReport(crashed.Id, "crash", null, "k1 -> nan", SyntheticObjective.Patch(s_base, 1, 9)));

        var claim = await swarm.ClaimAsync(alice, s_base, swarm.BestPatch(s_base));
        var pending = (await LogAsync(swarm)).Single(e => e.ClaimId == claim.ClaimId);
        await swarm.VerifyHonestlyAsync(bob, s_base);
        await swarm.VerifyHonestlyAsync(carol, s_base);
        var decided = (await LogAsync(swarm)).Single(e => e.ClaimId == claim.ClaimId);

        Assert.Null(pending.Patch);
        Assert.Equal("pending", pending.Status);
        Assert.NotNull(decided.Patch);
        Assert.Equal("accepted", decided.Status);
        Assert.Contains(await LogAsync(swarm), e => e.Status == "crash" && e.Patch is not null);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_lazy_verifier_is_outvoted_by_a_tie_break_and_caught(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var lazy = await swarm.JoinAsync("lazy");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");

        var claim = await swarm.ClaimAsync(alice, s_base, swarm.BestPatch(s_base));
        var guess = await TestSwarm.LeaseAsync(lazy, LeaseKind.Verify);
        await lazy.ReportVerificationAsync(new VerificationReport(guess.Id, true, 4.0, 3.9));
        await swarm.VerifyHonestlyAsync(bob, s_base);
        var stillPending = await alice.ClaimStatusAsync(claim.ClaimId);
        await swarm.VerifyHonestlyAsync(carol, s_base);

        Assert.Equal(ClaimStatus.Pending, stillPending.Status);
        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(claim.ClaimId)).Status);
        var board = await alice.LeaderboardAsync(0, 10);
        Assert.Equal(1, board.Single(e => e.Worker == lazy.Key.PublicKey).Caught);
        Assert.Equal(0, board.Single(e => e.Worker == carol.Key.PublicKey).Caught);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task With_trusted_verifiers_each_round_has_an_anchor_that_sybils_cannot_take(string db)
    {
        using var owner = WorkerKey.Generate();
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { TrustedKeys = [owner.PublicKey] });
        var alice = await swarm.JoinAsync("alice");
        var sybil1 = await swarm.JoinAsync("sybil-1");
        var sybil2 = await swarm.JoinAsync("sybil-2");
        var trusted = await swarm.JoinAsync("owner", owner);

        var claim = await swarm.ClaimAsync(alice, s_base, SyntheticObjective.Patch(s_base, 3, 0.01), claimed: 0.5);
        var first = await TestSwarm.LeaseAsync(sybil1, LeaseKind.Verify);
        var second = await TestSwarm.LeaseAsync(sybil2, LeaseKind.Explore);
        await sybil1.ReportVerificationAsync(new VerificationReport(first.Id, true, 4.0, 0.5));
        var (anchor, _) = await swarm.VerifyHonestlyAsync(trusted, s_base);

        Assert.Null(second.Verify);
        Assert.True(anchor.Verify!.Holdout);
        Assert.NotEqual(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(claim.ClaimId)).Status);
        Assert.Empty(await alice.ChainAsync(0));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_trusted_verifier_whose_holdout_does_not_improve_rejects_the_claim(string db)
    {
        using var owner = WorkerKey.Generate();
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { TrustedKeys = [owner.PublicKey] });
        var alice = await swarm.JoinAsync("alice");
        var trusted = await swarm.JoinAsync("owner", owner);
        var bob = await swarm.JoinAsync("bob");
        var patch = swarm.BestPatch(s_base);
        var candidate = SyntheticObjective.Apply(s_base, patch)!;

        var claim = await swarm.ClaimAsync(alice, s_base, patch);
        var lease = await TestSwarm.LeaseAsync(trusted, LeaseKind.Verify);
        await trusted.ReportVerificationAsync(new VerificationReport(lease.Id, true,
            swarm.Objective.Measure(s_base, lease.Seed), swarm.Objective.Measure(candidate, lease.Seed), HoldoutParent: 2.0, HoldoutCandidate: 2.5));
        await swarm.VerifyHonestlyAsync(bob, s_base);

        var status = await alice.ClaimStatusAsync(claim.ClaimId);
        Assert.Equal(ClaimStatus.Rejected, status.Status);
        Assert.Contains("holdout", status.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task The_only_trusted_machine_claiming_fast_leaves_slots_for_others_claims_it_can_anchor(string db)
    {
        // One trusted key anchors every round. If its own claims (which it may not verify) took all the verification slots,
        // no round could ever be anchored and the swarm would stall.
        using var owner = WorkerKey.Generate();
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { TrustedKeys = [owner.PublicKey] });
        var trusted = await swarm.JoinAsync("owner", owner);
        var bob = await swarm.JoinAsync("bob");
        var patches = Enumerable.Range(0, SyntheticObjective.Knobs)
            .SelectMany(k => new[] { 0.25, 0.5, 0.75 }.Select(v => SyntheticObjective.Patch(s_base, k, v)))
            .Where(p => swarm.Objective.TrueLoss(SyntheticObjective.Apply(s_base, p)!) < swarm.Objective.TrueLoss(s_base))
            .ToList();
        Assert.True(patches.Count > Coordinator.Coordinator.VerificationSlots + 1);

        for (var i = 0; i < Coordinator.Coordinator.VerificationSlots + 1; i++)
        {
            await swarm.ClaimAsync(trusted, s_base, patches[i]);
        }

        var bobs = await swarm.ClaimAsync(bob, s_base, patches[^1]);
        var lease = await TestSwarm.LeaseAsync(trusted, LeaseKind.Verify);

        Assert.Equal(bobs.ClaimId, lease.Verify!.ClaimId);
    }

    private static async Task<List<LogEntry>> LogAsync(TestSwarm swarm)
    {
        var reply = await swarm.Http.GetStringAsync("v1/experiments?after=0&limit=100");
        return System.Text.Json.JsonSerializer.Deserialize<List<LogEntry>>(reply, SwarmJson.Options)!;
    }
}
