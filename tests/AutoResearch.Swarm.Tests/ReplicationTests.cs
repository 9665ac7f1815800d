using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Simulator;
using AutoResearch.Swarm.Tests.Support;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Tests;

/// <summary>Verification sized to the claimer's record, lies that cost time, and the verification budget.</summary>
public sealed class ReplicationTests
{
    private static readonly string s_base = SyntheticObjective.BaseText;

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_claim_of_a_key_with_a_record_is_reproduced_by_one_trusted_machine_alone(string db)
    {
        using var ownerKey = WorkerKey.Generate();
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { TrustedKeys = [ownerKey.PublicKey], AuditOdds = int.MaxValue });
        var owner = await swarm.JoinAsync("owner", ownerKey);
        var (alice, bob, head) = await RecordAsync(swarm, owner);

        var claim = await swarm.ClaimAsync(alice, head, swarm.BestPatch(head));
        var untrusted = await bob.LeaseAsync(new LeaseRequest());
        await bob.ReportExperimentAsync(new ExperimentReport(untrusted.Lease!.Id, "discard", null, "nothing", null));
        await swarm.VerifyHonestlyAsync(owner, Heads(await alice.ChainAsync(0)));

        Assert.Null(untrusted.Lease!.Verify);
        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(claim.ClaimId)).Status);
        Assert.Equal(1, (await alice.ChainAsync(0))[^1].Verifications);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_lie_by_a_key_with_a_record_is_not_settled_by_one_verifier_the_rest_of_k_convict_it(string db)
    {
        using var ownerKey = WorkerKey.Generate();
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { TrustedKeys = [ownerKey.PublicKey], AuditOdds = int.MaxValue });
        var owner = await swarm.JoinAsync("owner", ownerKey);
        var (alice, bob, head) = await RecordAsync(swarm, owner);

        var lie = await swarm.ClaimAsync(alice, head, SyntheticObjective.Patch(head, 7, 0.01), claimed: 0.5);
        await swarm.VerifyHonestlyAsync(owner, Heads(await alice.ChainAsync(0)));
        var afterOne = await alice.ClaimStatusAsync(lie.ClaimId);
        var (second, _) = await swarm.VerifyHonestlyAsync(bob, Heads(await alice.ChainAsync(0)));

        Assert.Equal(ClaimStatus.Pending, afterOne.Status);
        Assert.Equal(lie.ClaimId, second.Verify!.ClaimId);
        Assert.Equal(ClaimStatus.False, (await alice.ClaimStatusAsync(lie.ClaimId)).Status);
        Assert.Equal(1, (await alice.LeaderboardAsync(0, 10)).Single(e => e.Worker == alice.Key.PublicKey).Caught);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_key_caught_lying_may_not_claim_until_its_cooldown_ends_and_the_next_lie_doubles_it(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { ClaimCooldown = TimeSpan.FromMinutes(1) });
        var mallory = await swarm.JoinAsync("mallory");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");

        async Task LieAsync(int knob)
        {
            var lie = await swarm.ClaimAsync(mallory, s_base, SyntheticObjective.Patch(s_base, knob, 0.01), claimed: 0.5);
            await swarm.VerifyHonestlyAsync(bob, s_base);
            await swarm.VerifyHonestlyAsync(carol, s_base);
            Assert.Equal(ClaimStatus.False, (await mallory.ClaimStatusAsync(lie.ClaimId)).Status);
        }

        // A refused claim's win goes to the shared log instead, as the worker does.
        async Task<SwarmCallException> RefusedAsync(int knob)
        {
            var lease = await TestSwarm.LeaseAsync(mallory, LeaseKind.Explore, verify: false);
            var patch = SyntheticObjective.Patch(s_base, knob, 0.01);
            var refused = await Assert.ThrowsAsync<SwarmCallException>(() => mallory.ClaimAsync(
                new ClaimRequest(lease.Id, patch, swarm.Objective.Measure(s_base, lease.Seed), 0.5, new string('a', 64), "a lie")));
            await mallory.ReportExperimentAsync(new ExperimentReport(lease.Id, "keep", 0.5, "a lie", patch));
            return refused;
        }

        await LieAsync(1);
        var cooling = await RefusedAsync(2);
        swarm.Clock.Advance(TimeSpan.FromSeconds(61));
        await LieAsync(2);
        swarm.Clock.Advance(TimeSpan.FromSeconds(61));
        var stillCooling = await RefusedAsync(3);
        swarm.Clock.Advance(TimeSpan.FromSeconds(61));
        var later = await swarm.ClaimAsync(mallory, s_base, SyntheticObjective.Patch(s_base, 4, 0.01));

        Assert.Equal(409, cooling.Status);
        Assert.Equal("claim quota", cooling.Title);
        Assert.Contains("caught false", cooling.Message, StringComparison.Ordinal);
        Assert.Equal(409, stillCooling.Status);
        Assert.Equal(ClaimStatus.Pending, later.Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_worker_at_its_verification_budget_explores_while_claims_wait_then_verifies_again(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { VerificationBudget = 0.2 });
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        await swarm.ClaimAsync(alice, s_base, SyntheticObjective.Patch(s_base, 1, 0.5));
        await swarm.ClaimAsync(alice, s_base, SyntheticObjective.Patch(s_base, 2, 0.5));

        var kinds = new List<LeaseKind>();
        for (var i = 0; i < 7; i++)
        {
            var lease = (await bob.LeaseAsync(new LeaseRequest())).Lease!;
            kinds.Add(lease.Kind);
            if (lease.Kind == LeaseKind.Explore)
            {
                await bob.ReportExperimentAsync(new ExperimentReport(lease.Id, "discard", null, "nothing", null));
            }
            else
            {
                var candidate = SyntheticObjective.Apply(s_base, lease.Verify!.Patch)!;
                await bob.ReportVerificationAsync(new VerificationReport(lease.Id, true, swarm.Objective.Measure(s_base, lease.Seed),
                    swarm.Objective.Measure(candidate, lease.Seed)));
            }
        }

        // At most one lease in five verifies: after a verification, explorations until its share is under 0.2 (1 in 6).
        Assert.Equal(
            [LeaseKind.Verify, LeaseKind.Explore, LeaseKind.Explore, LeaseKind.Explore, LeaseKind.Explore, LeaseKind.Explore, LeaseKind.Verify],
            kinds);
    }

    /// <summary>
    /// alice earns a record (three accepted claims, each reproduced by the owner's machine and bob); returns her, bob and the
    /// head's text.
    /// </summary>
    private static async Task<(SwarmClient Alice, SwarmClient Bob, string Head)> RecordAsync(TestSwarm swarm, SwarmClient owner)
    {
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var head = s_base;
        for (var i = 0; i < Coordinator.Coordinator.RecordForOneVerifier; i++)
        {
            var claim = await swarm.ClaimAsync(alice, head, swarm.BestPatch(head));
            var heads = Heads(await alice.ChainAsync(0));
            await swarm.VerifyHonestlyAsync(owner, heads);
            await swarm.VerifyHonestlyAsync(bob, heads);
            Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(claim.ClaimId)).Status);
            head = Heads(await alice.ChainAsync(0))[^1];
        }

        return (alice, bob, head);
    }

    /// <summary>Every head's text, by sequence.</summary>
    private static string[] Heads(List<ChainLink> chain)
    {
        var heads = new List<string> { s_base };
        foreach (var link in chain)
        {
            heads.Add(SyntheticObjective.Apply(heads[^1], link.Patch)!);
        }

        return [.. heads];
    }
}
