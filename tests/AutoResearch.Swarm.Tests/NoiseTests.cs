using AutoResearch.Swarm.Coordinator;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Simulator;
using AutoResearch.Swarm.Tests.Support;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Tests;

/// <summary>
/// A project that states no σ: the swarm measures it (the base at several seeds, two owners agreeing on each) before it decides
/// anything, so a gain inside the noise is not kept because σ was taken as 0; liars about the noise are outvoted and caught.
/// </summary>
public sealed class NoiseTests
{
    private static readonly string s_base = SyntheticObjective.BaseText;

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Without_a_stated_sigma_the_base_is_measured_first_by_two_owners_per_seed(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { NoiseSeeds = 3 }, statesSigma: false);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        Assert.Null((await alice.ProjectAsync()).Sigma);

        var values = await MeasureAsync(swarm, alice, bob);

        Assert.Equal(3, values.Count);
        Assert.Equal(6, values.Sum(v => v.Value.Count));
        Assert.All(values, v => Assert.Single(v.Value.Distinct()));
        var expected = Core.Acceptance.Noise.Sigma([values.Select(v => v.Value[0]).ToList()]);
        var project = await alice.ProjectAsync();
        Assert.Equal(expected!.Value, project.Sigma!.Value, 12);
        Assert.Equal(2 * expected.Value, project.Threshold, 12);
        Assert.InRange(project.Sigma.Value, 0.0005, 0.05);

        // Measured once: a restarted coordinator reads it back, and explore leases follow.
        await swarm.RestartAsync();
        var again = swarm.Reconnect(alice);
        Assert.Equal(project.Sigma, (await again.ProjectAsync()).Sigma);
        await TestSwarm.LeaseAsync(again, LeaseKind.Explore);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task No_claim_is_verified_before_the_noise_is_known_and_a_gain_inside_it_is_then_rejected(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { NoiseSeeds = 3 }, statesSigma: false);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");

        // Carol runs each seed once (one owner's runs never settle a seed), then, with nothing left for her to measure, explores
        // and claims before the noise is known.
        var first = await TestSwarm.LeaseAsync(carol, LeaseKind.Measure);
        var second = await TestSwarm.LeaseAsync(carol, LeaseKind.Measure);
        Assert.NotEqual(first.Seed, second.Seed);
        await carol.ReportMeasurementAsync(new MeasurementReport(first.Id, swarm.Objective.Measure(s_base, first.Seed)));
        await carol.ReportMeasurementAsync(new MeasurementReport(second.Id, swarm.Objective.Measure(s_base, second.Seed)));
        var third = await TestSwarm.LeaseAsync(carol, LeaseKind.Measure);
        Assert.DoesNotContain(third.Seed, new[] { first.Seed, second.Seed });
        var small = await ClaimAsync(swarm, carol, SyntheticObjective.Patch(s_base, 3, 0.4), parent: 1.0, candidate: 0.99999);
        Assert.Null((await carol.ProjectAsync()).Sigma);

        // Alice and Bob are offered the noise runs, never the pending claim; while seeds are held, they explore.
        var seen = new List<LeaseKind>();
        for (var i = 0; i < 2; i++)
        {
            foreach (var worker in new[] { alice, bob })
            {
                var reply = await worker.LeaseAsync(new LeaseRequest());
                seen.Add(reply.Lease!.Kind);
                if (reply.Lease.Kind == LeaseKind.Explore)
                {
                    await worker.ReportExperimentAsync(new ExperimentReport(reply.Lease.Id, "discard", null, "waiting", null));
                }
                else
                {
                    await worker.ReportMeasurementAsync(new MeasurementReport(reply.Lease.Id, swarm.Objective.Measure(s_base, reply.Lease.Seed)));
                }
            }
        }

        Assert.DoesNotContain(LeaseKind.Verify, seen);
        Assert.Contains(LeaseKind.Measure, seen);
        Assert.Equal(ClaimStatus.Pending, (await carol.ClaimStatusAsync(small.ClaimId)).Status);
        await carol.ReportMeasurementAsync(new MeasurementReport(third.Id, swarm.Objective.Measure(s_base, third.Seed)));
        await MeasureAsync(swarm, alice, bob);
        var sigma = (await alice.ProjectAsync()).Sigma!.Value;

        // Both verifiers reproduce a gain of 1e-5, real but far inside 2σ: it is not kept (at σ = 0 it would have been).
        await VerifyRoundAsync(small.ClaimId, (1.0, 0.99999), alice, bob);

        Assert.True(1e-5 < 2 * sigma);
        Assert.Equal(ClaimStatus.Rejected, (await carol.ClaimStatusAsync(small.ClaimId)).Status);

        // A gain well beyond the measured noise is kept.
        var large = await ClaimAsync(swarm, carol, SyntheticObjective.Patch(s_base, 5, 0.4), parent: 1.0, candidate: 1.0 - (6 * sigma));
        await VerifyRoundAsync(large.ClaimId, (1.0, 1.0 - (6 * sigma)), alice, bob);

        Assert.Equal(ClaimStatus.Accepted, (await carol.ClaimStatusAsync(large.ClaimId)).Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Noise_runs_do_not_use_up_a_workers_verification_budget(string db)
    {
        // Five seeds, two owners: each measured five times, which counted as verifying would keep them off claims for 20 leases.
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { NoiseSeeds = 5, VerificationBudget = 0.2 }, statesSigma: false);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        await MeasureAsync(swarm, alice, bob);

        var claim = await ClaimAsync(swarm, carol, SyntheticObjective.Patch(s_base, 2, 0.4), parent: 1.0, candidate: 0.5);

        Assert.Equal(claim.ClaimId, (await TestSwarm.LeaseAsync(alice, LeaseKind.Verify)).Verify!.ClaimId);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_worker_that_lies_about_the_noise_is_outvoted_and_caught(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { NoiseSeeds = 3 }, statesSigma: false);
        var mallory = await swarm.JoinAsync("mallory");
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");

        // Mallory reports a huge value (a large σ would stall the swarm: nothing would be kept).
        var lie = await TestSwarm.LeaseAsync(mallory, LeaseKind.Measure);
        await mallory.ReportMeasurementAsync(new MeasurementReport(lie.Id, 50));
        var values = await MeasureAsync(swarm, alice, bob);

        Assert.All(values, v => Assert.InRange(v.Value.Max(), 0, 10));
        var sigma = (await alice.ProjectAsync()).Sigma!.Value;
        Assert.InRange(sigma, 0.0005, 0.05);
        var board = await alice.LeaderboardAsync(0, 10);
        Assert.Equal(1, board.Single(e => e.Worker == mallory.Key.PublicKey).Caught);
        Assert.All(board.Where(e => e.Worker != mallory.Key.PublicKey), e => Assert.Equal(0, e.Caught));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_stated_sigma_or_noise_seeds_0_serves_no_measure_lease(string db)
    {
        await using var stated = await TestSwarm.StartAsync(db);
        await TestSwarm.LeaseAsync(await stated.JoinAsync("alice"), LeaseKind.Explore);
        Assert.Equal(0.01, (await (await stated.JoinAsync("bob")).ProjectAsync()).Sigma);

        await using var off = await TestSwarm.StartAsync(db, o => o with { NoiseSeeds = 0 }, statesSigma: false);
        await TestSwarm.LeaseAsync(await off.JoinAsync("alice"), LeaseKind.Explore);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_borderline_win_is_confirmed_at_a_fresh_seed_not_by_more_reports_of_the_same_seed(string db)
    {
        // σ 0.01, z 2: a gain of 0.03 is above the threshold (0.02) but below twice it, so one seed does not settle it.
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var kept = await ClaimAsync(swarm, alice, SyntheticObjective.Patch(s_base, 1, 0.4), parent: 1.0, candidate: 0.97);
        var seeds = await VerifyRoundAsync(kept.ClaimId, (1.0, 0.97), bob, carol);
        Assert.Equal(ClaimStatus.Pending, (await alice.ClaimStatusAsync(kept.ClaimId)).Status);

        // The same verifiers may take the confirmation: it is a new round, at a seed of its own.
        var fresh = await VerifyRoundAsync(kept.ClaimId, (1.0, 0.975), bob, carol);

        Assert.DoesNotContain(fresh[0], seeds);
        Assert.Single(fresh.Distinct());
        var status = await alice.ClaimStatusAsync(kept.ClaimId);
        Assert.Equal(ClaimStatus.Accepted, status.Status);
        Assert.Contains("confirmed: mean of 2 runs", status.Reason, StringComparison.Ordinal);

        // A win the fresh seed does not show is not kept.
        var head = SyntheticObjective.Apply(s_base, SyntheticObjective.Patch(s_base, 1, 0.4))!;
        var lucky = await ClaimAsync(swarm, alice, SyntheticObjective.Patch(head, 2, 0.4), parent: 0.97, candidate: 0.94);
        await VerifyRoundAsync(lucky.ClaimId, (0.97, 0.94), bob, carol);
        await VerifyRoundAsync(lucky.ClaimId, (0.97, 0.971), bob, carol);

        var rejected = await alice.ClaimStatusAsync(lucky.ClaimId);
        Assert.Equal(ClaimStatus.Rejected, rejected.Status);
        Assert.Contains("not confirmed", rejected.Reason, StringComparison.Ordinal);
    }

    /// <summary><paramref name="verifiers"/> each take the verify lease of <paramref name="claim"/> and report <paramref name="pair"/>; returns their seeds.</summary>
    private static async Task<List<int>> VerifyRoundAsync(long claim, (double Parent, double Candidate) pair, params SwarmClient[] verifiers)
    {
        var seeds = new List<int>();
        foreach (var verifier in verifiers)
        {
            var lease = await TestSwarm.LeaseAsync(verifier, LeaseKind.Verify);
            Assert.Equal(claim, lease.Verify!.ClaimId);
            seeds.Add(lease.Seed);
            await verifier.ReportVerificationAsync(new VerificationReport(lease.Id, true, pair.Parent, pair.Candidate, null, null, new string('b', 64)));
        }

        return seeds;
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Owners_who_never_agree_cannot_hold_the_swarm_a_seed_settles_on_the_median_of_its_runs(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { NoiseSeeds = 2 }, statesSigma: false);
        var workers = new List<SwarmClient>();
        for (var i = 0; i < 7; i++)
        {
            workers.Add(await swarm.JoinAsync($"owner-{i}"));
        }

        // Every owner reports a value of its own: no two agree, so each seed runs Coordinator.MaxRunsPerSeed times.
        var values = new Dictionary<int, List<double>>();
        for (var i = 0; i < workers.Count; i++)
        {
            while ((await workers[i].LeaseAsync(new LeaseRequest())).Lease is { Kind: LeaseKind.Measure } lease)
            {
                var value = 3 + (0.01 * i) + (lease.Seed % 2 == 0 ? 0 : 0.5);
                (values.TryGetValue(lease.Seed, out var list) ? list : values[lease.Seed] = []).Add(value);
                await workers[i].ReportMeasurementAsync(new MeasurementReport(lease.Id, value));
            }
        }

        Assert.Equal(2, values.Count);
        Assert.All(values.Values, v => Assert.Equal(Coordinator.Coordinator.MaxRunsPerSeed, v.Count));
        static double Median(List<double> v) => (v.Order().ElementAt((v.Count - 1) / 2) + v.Order().ElementAt(v.Count / 2)) / 2;
        var expected = Core.Acceptance.Noise.Sigma([values.Values.Select(Median).ToList()]);
        Assert.Equal(expected!.Value, (await workers[0].ProjectAsync()).Sigma!.Value, 12);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Real_workers_run_the_noise_leases_and_one_that_joined_before_learns_sigma_when_it_explores(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { NoiseSeeds = 2 }, statesSigma: false);
        async Task<SwarmWorker> WorkerAsync(string owner, int leases) => new(await swarm.JoinAsync(owner),
            new HonestHead(swarm.Objective), new WorkerOptions { Coordinator = swarm.Host.Address, Owner = owner, MaxLeases = leases });
        var early = await WorkerAsync("carol", 1);
        await early.RegisterAsync();
        Assert.Null(early.Sigma);

        // Each worker's first two leases are the two noise seeds; the second owner's runs settle them.
        var alice = await WorkerAsync("alice", 2);
        var bob = await WorkerAsync("bob", 2);
        await alice.RunAsync();
        await bob.RunAsync();
        await early.RunAsync();

        Assert.Equal(2, alice.Stats.Measurements);
        Assert.Equal(2, bob.Stats.Measurements);
        Assert.Equal(0, early.Stats.Measurements);
        Assert.Equal(1, early.Stats.Explorations);
        var sigma = (await (await swarm.JoinAsync("dave")).ProjectAsync()).Sigma;
        Assert.NotNull(sigma);
        Assert.Equal(sigma, early.Sigma);
    }

    /// <summary>An engine that measures the unchanged base honestly and explores nothing.</summary>
    private sealed class HonestHead(SyntheticObjective objective) : IExperimentEngine
    {
        public Task<Exploration> ExploreAsync(HeadSnapshot head, int seed, CancellationToken cancellationToken = default) =>
            Task.FromResult(new Exploration(false, "discard", null, "nothing tried", null, null, "", 0));

        public Task<Verification> VerifyAsync(HeadSnapshot head, string patch, int seed, bool holdout, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("no claim exists in this test");

        public Task<Measurement> MeasureAsync(HeadSnapshot head, int seed, CancellationToken cancellationToken = default) =>
            Task.FromResult(new Measurement(objective.Measure(s_base, seed), new string('c', 64), 1));
    }

    [Fact]
    public void Noise_seeds_of_1_or_below_0_are_refused()
    {
        var options = new CoordinatorOptions { ProjectDirectory = Path.GetTempPath(), Database = "sqlite:x.db" };
        Assert.Empty(options.Validate());
        Assert.Contains((options with { NoiseSeeds = 1 }).Validate(), p => p.Contains("noise seeds", StringComparison.Ordinal));
        Assert.Contains((options with { NoiseSeeds = -1 }).Validate(), p => p.Contains("noise seeds", StringComparison.Ordinal));
    }

    /// <summary>
    /// Has <paramref name="workers"/> take leases and answer measure ones honestly until none is offered; returns each seed's
    /// reported values. Explore leases met on the way are reported as discards.
    /// </summary>
    private static async Task<Dictionary<int, List<double>>> MeasureAsync(TestSwarm swarm, params SwarmClient[] workers)
    {
        var values = new Dictionary<int, List<double>>();
        for (var round = 0; round < 20 && (await workers[0].ProjectAsync()).Sigma is null; round++)
        {
            foreach (var worker in workers)
            {
                var reply = await worker.LeaseAsync(new LeaseRequest());
                if (reply.Lease is not { } lease)
                {
                    continue;
                }

                if (lease.Kind == LeaseKind.Measure)
                {
                    Assert.Equal(0, lease.HeadSequence);
                    var value = swarm.Objective.Measure(s_base, lease.Seed);
                    (values.TryGetValue(lease.Seed, out var list) ? list : values[lease.Seed] = []).Add(value);
                    await worker.ReportMeasurementAsync(new MeasurementReport(lease.Id, value, new string('c', 64)));
                }
                else
                {
                    Assert.Equal(LeaseKind.Explore, lease.Kind);
                    await worker.ReportExperimentAsync(new ExperimentReport(lease.Id, "discard", null, "waiting for the noise", null));
                }
            }
        }

        Assert.NotNull((await workers[0].ProjectAsync()).Sigma);
        return values;
    }

    private static async Task<ClaimReply> ClaimAsync(TestSwarm swarm, SwarmClient client, string patch, double parent, double candidate)
    {
        var lease = await TestSwarm.LeaseAsync(client, LeaseKind.Explore, verify: false);
        Assert.NotNull(swarm);
        return await client.ClaimAsync(new ClaimRequest(lease.Id, patch, parent, candidate, new string('a', 64), "test claim"));
    }
}
