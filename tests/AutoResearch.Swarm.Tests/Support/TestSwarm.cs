using AutoResearch.Swarm.Coordinator;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Simulator;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Tests.Support;

/// <summary>
/// A real coordinator on loopback over a real database, serving the simulator's project (params.txt editable, prepare.txt
/// read-only, σ 0.01, k = 2), and helpers that speak the protocol as workers do, with honest numbers from the synthetic objective.
/// </summary>
internal sealed class TestSwarm : IAsyncDisposable
{
    private readonly Func<Task> _drop;
    private readonly List<IDisposable> _owned = [];

    private TestSwarm(string folder, string database, Func<Task> drop, ManualClock clock)
    {
        Folder = folder;
        Database = database;
        _drop = drop;
        Clock = clock;
    }

    public string Folder { get; }

    public string Database { get; }

    public ManualClock Clock { get; }

    public CoordinatorHost Host { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public SyntheticObjective Objective { get; } = new(1, 0.01);

    /// <param name="statesSigma">False: the project states no σ, so the coordinator measures it first (see NoiseTests).</param>
    public static async Task<TestSwarm> StartAsync(string kind, Func<CoordinatorOptions, CoordinatorOptions>? configure = null, bool statesSigma = true)
    {
        var folder = Path.Combine(Path.GetTempPath(), "autoresearch-swarm-tests", Guid.NewGuid().ToString("N")[..12]);
        await SimulatedWorkspace.CreateAsync(folder, statesSigma ? 0.01 : null, SyntheticObjective.BaseText, CancellationToken.None);
        var (database, drop) = await TestDatabases.CreateAsync(kind, folder);
        var swarm = new TestSwarm(folder, database, drop, new ManualClock());
        await swarm.RestartAsync(configure);
        return swarm;
    }

    public CoordinatorOptions Options { get; private set; } = null!;

    /// <summary>Stops the coordinator (if running) and starts a new one over the same database.</summary>
    public async Task RestartAsync(Func<CoordinatorOptions, CoordinatorOptions>? configure = null)
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
            Http.Dispose();
        }

        Options = configure?.Invoke(Base()) ?? (Options ?? Base());
        Host = await CoordinatorHost.StartAsync(Options, Clock);
        Http = new HttpClient { BaseAddress = Host.Address };
    }

    private CoordinatorOptions Base() => new()
    {
        ProjectDirectory = Folder,
        Database = Database,
        Port = 0,
        LeaseDuration = TimeSpan.FromMinutes(10),
        RequestsPerSecond = 1000,
        RegistrationsPerMinutePerAddress = 1000,
        RegistrationsPerMinute = 1000,
        // The tests script who verifies what; the verification budget (LeaseMix) and random audits are tested on their own.
        VerificationBudget = 1,
        AuditOdds = 1,
    };

    /// <summary>A registered worker.</summary>
    public async Task<SwarmClient> JoinAsync(string owner, WorkerKey? key = null)
    {
        key ??= WorkerKey.Generate();
        _owned.Add(key);
        var client = new SwarmClient(Http, key, Clock) { GiveUpAfter = TimeSpan.FromSeconds(20) };
        await client.RegisterAsync(new RegisterRequest(owner));
        return client;
    }

    /// <summary>A client for the current coordinator with the same key (after a restart).</summary>
    public SwarmClient Reconnect(SwarmClient client) => new(Http, client.Key, Clock) { GiveUpAfter = TimeSpan.FromSeconds(20) };

    public static async Task<Lease> LeaseAsync(SwarmClient client, LeaseKind kind, bool verify = true)
    {
        var reply = await client.LeaseAsync(new LeaseRequest(verify));
        Assert.NotNull(reply.Lease);
        Assert.Equal(kind, reply.Lease!.Kind);
        return reply.Lease;
    }

    /// <summary>The single-knob move with the largest true improvement from <paramref name="text"/> (knob <paramref name="skip"/> excluded).</summary>
    public string BestPatch(string text, int skip = -1)
    {
        var best = (Gain: double.MinValue, Patch: "");
        for (var knob = 0; knob < SyntheticObjective.Knobs; knob++)
        {
            if (knob == skip)
            {
                continue;
            }

            foreach (var value in new[] { 0.25, 0.5, 0.75, 1.0 })
            {
                var patch = SyntheticObjective.Patch(text, knob, value);
                var gain = Objective.TrueLoss(text) - Objective.TrueLoss(SyntheticObjective.Apply(text, patch)!);
                if (gain > best.Gain)
                {
                    best = (gain, patch);
                }
            }
        }

        return best.Patch;
    }

    /// <summary>Claims <paramref name="patch"/> under a fresh explore lease with honest numbers (or <paramref name="claimed"/>).</summary>
    public async Task<ClaimReply> ClaimAsync(SwarmClient client, string text, string patch, double? claimed = null)
    {
        var lease = await LeaseAsync(client, LeaseKind.Explore, verify: false);
        var candidate = SyntheticObjective.Apply(text, patch);
        var metric = claimed ?? Objective.Measure(candidate!, lease.Seed);
        return await client.ClaimAsync(new ClaimRequest(lease.Id, patch, Objective.Measure(text, lease.Seed), metric, new string('a', 64), "test claim"));
    }

    /// <summary>Takes a verify lease and reports honest numbers for it on <paramref name="text"/> (the lease's head).</summary>
    public async Task<(Lease Lease, Receipt Receipt)> VerifyHonestlyAsync(SwarmClient client, params string[] heads)
    {
        var lease = await LeaseAsync(client, LeaseKind.Verify);
        var text = heads[lease.HeadSequence];
        var candidate = SyntheticObjective.Apply(text, lease.Verify!.Patch);
        var report = candidate is null
            ? new VerificationReport(lease.Id, false, null, null)
            : new VerificationReport(lease.Id, true, Objective.Measure(text, lease.Seed), Objective.Measure(candidate, lease.Seed),
                lease.Verify.Holdout ? Objective.Measure(text, lease.Seed, holdout: true) : null,
                lease.Verify.Holdout ? Objective.Measure(candidate, lease.Seed, holdout: true) : null, new string('b', 64));
        return (lease, await client.ReportVerificationAsync(report));
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Http.Dispose();
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        await _drop();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
