using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Simulator;
using AutoResearch.Swarm.Tests.Support;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Tests;

/// <summary>Independent wins merged into one link: credit for each, nothing accepted unchecked, nothing stolen from a merge.</summary>
public sealed class MergeTests
{
    private static readonly string s_base = SyntheticObjective.BaseText;

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Wins_on_one_head_that_apply_together_land_as_one_merged_link_crediting_each_claimer(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var (claimers, bob, carol) = await JoinAsync(swarm);
        var claims = await ClaimThreeKnobsAsync(swarm, claimers);

        await VerifyAllAsync(swarm, [bob, carol]);

        foreach (var (claimer, claim) in claimers.Zip(claims))
        {
            Assert.Equal(ClaimStatus.Accepted, (await claimer.ClaimStatusAsync(claim.ClaimId)).Status);
        }

        var chain = await bob.ChainAsync(0);
        Assert.Equal(2, chain.Count);
        Assert.Contains("(+1 merged)", chain[1].Description, StringComparison.Ordinal);
        // The merged link changes both members' knobs on head 1.
        var head1 = SyntheticObjective.Apply(s_base, chain[0].Patch)!;
        var head2 = SyntheticObjective.Apply(head1, chain[1].Patch)!;
        Assert.Equal(2, SyntheticObjective.Parse(head1).Zip(SyntheticObjective.Parse(head2)).Count(p => p.First != p.Second));
        Assert.True(swarm.Objective.TrueLoss(head2) < swarm.Objective.TrueLoss(head1));
        var board = await bob.LeaderboardAsync(0, 10);
        foreach (var claimer in claimers)
        {
            var entry = board.Single(e => e.Worker == claimer.Key.PublicKey);
            Assert.Equal(1, entry.Accepted);
            Assert.True(entry.ImprovementCredit > 0);
        }

        // Nothing is left to verify: no job of a decided claim stays open.
        Assert.Null((await bob.LeaseAsync(new LeaseRequest())).Lease!.Verify);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_merged_round_that_loses_sends_each_member_back_to_be_verified_alone_without_penalty(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var (claimers, bob, carol) = await JoinAsync(swarm);
        var claims = await ClaimThreeKnobsAsync(swarm, claimers);
        var merged = 0;

        // The verifiers agree that the merged candidate is worse: the merge is rejected, its members are not.
        await VerifyAllAsync(swarm, [bob, carol], (lease, parent, candidate) =>
        {
            if (!IsMerged(lease.Verify!.Patch))
            {
                return candidate;
            }

            merged++;
            return parent + 0.5;
        });

        Assert.Equal(2, merged);
        foreach (var (claimer, claim) in claimers.Zip(claims))
        {
            Assert.Equal(ClaimStatus.Accepted, (await claimer.ClaimStatusAsync(claim.ClaimId)).Status);
        }

        var chain = await bob.ChainAsync(0);
        Assert.Equal(3, chain.Count);
        Assert.DoesNotContain(chain, l => l.Description.Contains("merged", StringComparison.Ordinal));
        var board = await bob.LeaderboardAsync(0, 10);
        Assert.All(claimers, c => Assert.Equal(0, board.Single(e => e.Worker == c.Key.PublicKey).Rejected));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_verifier_sent_a_merged_round_cannot_claim_the_merged_change_nor_a_member_as_its_own(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var (claimers, bob, carol) = await JoinAsync(swarm);
        await ClaimThreeKnobsAsync(swarm, claimers);
        string? stolen = null;

        // bob verifies honestly and keeps what a merged round showed him; it is still pending when he claims it.
        await VerifyAllAsync(swarm, [bob, carol], (lease, _, candidate) =>
        {
            stolen ??= IsMerged(lease.Verify!.Patch) ? lease.Verify.Patch : null;
            return candidate;
        }, stopWhen: () => stolen is not null);
        Assert.NotNull(stolen);
        var head1 = SyntheticObjective.Apply(s_base, (await bob.ChainAsync(0))[0].Patch)!;
        var merged = SyntheticObjective.Apply(head1, stolen)!;
        var knob = Changed(head1, merged)[0];
        var member = SyntheticObjective.Patch(head1, knob, SyntheticObjective.Parse(merged)[knob]);

        var whole = await swarm.ClaimAsync(bob, head1, ThievingText(stolen));
        var part = await swarm.ClaimAsync(bob, head1, member);

        Assert.Equal(ClaimStatus.Duplicate, whole.Status);
        Assert.Equal(ClaimStatus.Duplicate, part.Status);
    }

    private static bool IsMerged(string patch) => patch.Split('\n').Count(l => l.StartsWith("-k", StringComparison.Ordinal)) > 1;

    private static int[] Changed(string before, string after) =>
        SyntheticObjective.Parse(before).Zip(SyntheticObjective.Parse(after)).Select((p, i) => (p, i)).Where(x => x.p.First != x.p.Second).Select(x => x.i).ToArray();

    /// <summary>The same change in another text (a tab after the file names), as a thief would send it.</summary>
    private static string ThievingText(string patch) =>
        string.Join('\n', patch.Split('\n').Select(l => l.StartsWith("--- ", StringComparison.Ordinal) || l.StartsWith("+++ ", StringComparison.Ordinal) ? l + "\t" : l));

    private static async Task<(SwarmClient[] Claimers, SwarmClient Bob, SwarmClient Carol)> JoinAsync(TestSwarm swarm) =>
        ([await swarm.JoinAsync("alice"), await swarm.JoinAsync("dave"), await swarm.JoinAsync("erin")],
            await swarm.JoinAsync("bob"), await swarm.JoinAsync("carol"));

    /// <summary>Three claims on the base, each the best move of a different knob.</summary>
    private static async Task<List<ClaimReply>> ClaimThreeKnobsAsync(TestSwarm swarm, SwarmClient[] claimers)
    {
        var claims = new List<ClaimReply>();
        var used = new List<int>();
        foreach (var claimer in claimers)
        {
            var patch = Enumerable.Range(0, SyntheticObjective.Knobs).Where(k => !used.Contains(k))
                .Select(k => (Knob: k, Patch: SyntheticObjective.Patch(s_base, k, 0.5)))
                .OrderBy(p => swarm.Objective.TrueLoss(SyntheticObjective.Apply(s_base, p.Patch)!)).First();
            used.Add(patch.Knob);
            claims.Add(await swarm.ClaimAsync(claimer, s_base, patch.Patch));
        }

        return claims;
    }

    /// <summary>
    /// The verifiers take every verify lease in turn and report parent and candidate measured on the lease's head (the candidate
    /// as <paramref name="report"/> says), until none has a job; explore leases they get meanwhile are reported as discarded.
    /// </summary>
    private static async Task VerifyAllAsync(
        TestSwarm swarm, SwarmClient[] verifiers, Func<Lease, double, double, double>? report = null, Func<bool>? stopWhen = null)
    {
        for (var idle = 0; idle < verifiers.Length;)
        {
            foreach (var verifier in verifiers)
            {
                var lease = (await verifier.LeaseAsync(new LeaseRequest())).Lease!;
                if (lease.Verify is not { } job)
                {
                    idle++;
                    await verifier.ReportExperimentAsync(new ExperimentReport(lease.Id, "discard", null, "nothing", null));
                    continue;
                }

                idle = 0;
                var head = await HeadTextAsync(verifier, lease.HeadSequence);
                var candidate = SyntheticObjective.Apply(head, job.Patch);
                if (candidate is null)
                {
                    await verifier.ReportVerificationAsync(new VerificationReport(lease.Id, false, null, null));
                    continue;
                }

                var parent = swarm.Objective.Measure(head, lease.Seed);
                var measured = swarm.Objective.Measure(candidate, lease.Seed);
                await verifier.ReportVerificationAsync(new VerificationReport(lease.Id, true, parent, report?.Invoke(lease, parent, measured) ?? measured));
                if (stopWhen?.Invoke() == true)
                {
                    return;
                }
            }
        }
    }

    private static async Task<string> HeadTextAsync(SwarmClient client, long sequence)
    {
        var text = s_base;
        foreach (var link in (await client.ChainAsync(0)).Take((int)sequence))
        {
            text = SyntheticObjective.Apply(text, link.Patch)!;
        }

        return text;
    }
}
