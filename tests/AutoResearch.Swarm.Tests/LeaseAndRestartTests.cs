using System.Text.Json;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Simulator;
using AutoResearch.Swarm.Tests.Support;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Tests;

public sealed class LeaseAndRestartTests
{
    private static readonly string s_base = SyntheticObjective.BaseText;

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_verify_lease_of_a_killed_worker_is_offered_again_after_it_expires(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { LeaseDuration = TimeSpan.FromMinutes(2) });
        var alice = await swarm.JoinAsync("alice");
        var dead = await swarm.JoinAsync("dead");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var claim = await swarm.ClaimAsync(alice, s_base, swarm.BestPatch(s_base));
        var lost = await TestSwarm.LeaseAsync(dead, LeaseKind.Verify);
        await swarm.VerifyHonestlyAsync(bob, s_base);
        var beforeExpiry = await TestSwarm.LeaseAsync(carol, LeaseKind.Explore);

        swarm.Clock.Advance(TimeSpan.FromMinutes(3));
        var (again, _) = await swarm.VerifyHonestlyAsync(carol, s_base);
        var late = await Assert.ThrowsAsync<SwarmCallException>(() =>
            dead.ReportVerificationAsync(new VerificationReport(lost.Id, true, 4.0, 3.0)));

        Assert.Null(beforeExpiry.Verify);
        Assert.Equal(lost.Verify!.ClaimId, again.Verify!.ClaimId);
        Assert.Equal(410, late.Status);
        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(claim.ClaimId)).Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Killing_and_restarting_the_coordinator_mid_verification_loses_and_duplicates_nothing(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var patch = swarm.BestPatch(s_base);
        var claim = await swarm.ClaimAsync(alice, s_base, patch);
        var bobLease = await TestSwarm.LeaseAsync(bob, LeaseKind.Verify);
        var candidate = SyntheticObjective.Apply(s_base, patch)!;
        var report = JsonSerializer.SerializeToUtf8Bytes(new VerificationReport(bobLease.Id, true,
            swarm.Objective.Measure(s_base, bobLease.Seed), swarm.Objective.Measure(candidate, bobLease.Seed)), SwarmJson.Options);
        var nonce = CanonicalRequest.NewNonce();
        var issued = swarm.Clock.GetUtcNow();
        using (var first = bob.Signed(HttpMethod.Post, "/v1/verifications", report, issued, nonce))
        using (var reply = await swarm.Http.SendAsync(first))
        {
            Assert.True(reply.IsSuccessStatusCode);
        }

        await swarm.RestartAsync();
        alice = swarm.Reconnect(alice);
        bob = swarm.Reconnect(bob);
        carol = swarm.Reconnect(carol);
        using (var replay = bob.Signed(HttpMethod.Post, "/v1/verifications", report, issued, nonce))
        using (var replayed = await swarm.Http.SendAsync(replay))
        {
            Assert.True(replayed.Headers.Contains(SignedHeaders.Replayed));
        }

        var pendingAfterRestart = await alice.ClaimStatusAsync(claim.ClaimId);
        await swarm.VerifyHonestlyAsync(carol, s_base);

        Assert.Equal(ClaimStatus.Pending, pendingAfterRestart.Status);
        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(claim.ClaimId)).Status);
        Assert.Single(await alice.ChainAsync(0));
        var board = await alice.LeaderboardAsync(0, 10);
        Assert.Equal(1, board.Single(e => e.Worker == alice.Key.PublicKey).Accepted);
        Assert.Equal(1, board.Single(e => e.Worker == bob.Key.PublicKey).VerificationCredit);
        Assert.Equal(1, board.Single(e => e.Worker == carol.Key.PublicKey).VerificationCredit);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_claim_overtaken_by_the_chain_is_reproduced_on_its_parent_then_rebased_and_verified_on_the_new_head(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var dave = await swarm.JoinAsync("dave");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var first = swarm.BestPatch(s_base);
        var head1 = SyntheticObjective.Apply(s_base, first)!;
        var knob = Array.FindIndex(SyntheticObjective.Parse(head1), v => v != 0);
        var second = swarm.BestPatch(s_base, skip: knob);

        var a = await swarm.ClaimAsync(alice, s_base, first);
        var d = await swarm.ClaimAsync(dave, s_base, second);
        for (var i = 0; i < 3; i++)
        {
            await swarm.VerifyHonestlyAsync(bob, s_base, head1);
            await swarm.VerifyHonestlyAsync(carol, s_base, head1);
        }

        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(a.ClaimId)).Status);
        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(d.ClaimId)).Status);
        var chain = await alice.ChainAsync(0);
        Assert.Equal([a.ClaimId, d.ClaimId], chain.Select(l => l.ClaimId));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Claims_waiting_in_the_queue_go_stale_together_when_the_chain_moves_past_their_parent(string db)
    {
        // No rebases allowed: a claim still waiting for a verification slot when the head moves is stale at once.
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { MaxRebases = 0 });
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var best = swarm.BestPatch(s_base);
        var others = new Queue<string>(Enumerable.Range(0, SyntheticObjective.Knobs)
            .SelectMany(k => new[] { 0.25, 0.5, 0.75 }.Select(v => SyntheticObjective.Patch(s_base, k, v)))
            .Where(p => p != best && swarm.Objective.TrueLoss(SyntheticObjective.Apply(s_base, p)!) < swarm.Objective.TrueLoss(s_base)));

        var first = await swarm.ClaimAsync(alice, s_base, best);
        var busy = new List<ClaimReply>();
        for (var i = 0; i < 7; i++)
        {
            busy.Add(await swarm.ClaimAsync(await swarm.JoinAsync($"w{i}"), s_base, others.Dequeue()));
        }

        // The 8 verification slots are taken: these three wait, two of them from one key.
        var xavier = await swarm.JoinAsync("xavier");
        var yves = await swarm.JoinAsync("yves");
        var waiting = new[]
        {
            await swarm.ClaimAsync(xavier, s_base, others.Dequeue()),
            await swarm.ClaimAsync(xavier, s_base, others.Dequeue()),
            await swarm.ClaimAsync(yves, s_base, others.Dequeue()),
        };
        await swarm.VerifyHonestlyAsync(bob, s_base);
        await swarm.VerifyHonestlyAsync(carol, s_base);

        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(first.ClaimId)).Status);
        foreach (var claim in waiting)
        {
            Assert.Equal(ClaimStatus.Stale, (await alice.ClaimStatusAsync(claim.ClaimId)).Status);
        }

        foreach (var claim in busy)
        {
            Assert.Equal(ClaimStatus.Pending, (await alice.ClaimStatusAsync(claim.ClaimId)).Status);
        }

        var board = await alice.LeaderboardAsync(0, 100);
        Assert.Equal(2, board.Single(e => e.Worker == xavier.Key.PublicKey).Rejected);
        Assert.Equal(1, board.Single(e => e.Worker == yves.Key.PublicKey).Rejected);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_claim_that_conflicts_with_the_new_head_is_rejected_as_stale(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var dave = await swarm.JoinAsync("dave");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var first = swarm.BestPatch(s_base);
        var head1 = SyntheticObjective.Apply(s_base, first)!;
        var knob = Array.FindIndex(SyntheticObjective.Parse(head1), v => v != 0);
        var conflicting = SyntheticObjective.Patch(s_base, knob, SyntheticObjective.Parse(head1)[knob] + 0.001);

        var a = await swarm.ClaimAsync(alice, s_base, first);
        var d = await swarm.ClaimAsync(dave, s_base, conflicting);
        for (var i = 0; i < 3; i++)
        {
            await swarm.VerifyHonestlyAsync(bob, s_base, head1);
            await swarm.VerifyHonestlyAsync(carol, s_base, head1);
        }

        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(a.ClaimId)).Status);
        var stale = await alice.ClaimStatusAsync(d.ClaimId);
        Assert.Equal(ClaimStatus.Stale, stale.Status);
        Assert.Single(await alice.ChainAsync(0));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_smuggled_patch_is_refused_at_the_door_and_costs_trust(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var smuggled = SyntheticObjective.Patch(s_base, 1, 0.5).Replace("params.txt", "prepare.txt", StringComparison.Ordinal);
        var lease = await TestSwarm.LeaseAsync(alice, LeaseKind.Explore);

        var claim = await alice.ClaimAsync(new ClaimRequest(lease.Id, smuggled, 4.0, 3.0, new string('a', 64), "smuggle"));
        var again = await alice.ClaimAsync(new ClaimRequest(lease.Id, smuggled, 4.0, 3.0, new string('a', 64), "smuggle"));

        Assert.Equal(ClaimStatus.Refused, claim.Status);
        Assert.Contains("prepare.txt", claim.Reason, StringComparison.Ordinal);
        Assert.Equal(claim.ClaimId, again.ClaimId);
        var board = await alice.LeaderboardAsync(0, 10);
        Assert.Equal(1, board.Single(e => e.Worker == alice.Key.PublicKey).Caught);
    }

    [Fact]
    public async Task A_worker_rides_out_a_coordinator_restart()
    {
        await using var swarm = await TestSwarm.StartAsync("sqlite");
        var worker = await swarm.JoinAsync("alice");
        var port = swarm.Host.Address.Port;
        await swarm.Host.DisposeAsync();

        var leasing = worker.LeaseAsync(new LeaseRequest());
        await Task.Delay(300);
        await using var again = await Coordinator.CoordinatorHost.StartAsync(swarm.Options with { Port = port }, swarm.Clock);
        var reply = await leasing;

        Assert.NotNull(reply.Lease);
        Assert.True(worker.Requests > 1);
    }
}
