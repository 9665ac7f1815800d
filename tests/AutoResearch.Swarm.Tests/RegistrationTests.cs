using System.Net;
using System.Text;
using AutoResearch.Swarm.Coordinator;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Simulator;
using AutoResearch.Swarm.Tests.Support;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Tests;

/// <summary>Attacks on free keys and self-declared owners: key farms, uninvited keys, borrowed owner names, endless buckets.</summary>
public sealed class RegistrationTests
{
    private static readonly string s_base = SyntheticObjective.BaseText;

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_key_farm_on_one_address_gets_429_with_retry_after_and_the_honest_workers_are_served(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { RegistrationsPerMinutePerAddress = 5 });
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");

        var farm = new List<(HttpStatusCode Status, string? RetryAfter)>();
        for (var i = 0; i < 50; i++)
        {
            using var key = WorkerKey.Generate();
            farm.Add(await RegisterAsync(swarm, key, new RegisterRequest("farm")));
        }

        var again = await RegisterAsync(swarm, alice.Key, new RegisterRequest("alice"));
        var claim = await swarm.ClaimAsync(alice, s_base, swarm.BestPatch(s_base));
        await swarm.VerifyHonestlyAsync(bob, s_base);
        await swarm.VerifyHonestlyAsync(carol, s_base);

        Assert.True(farm.Count(f => f.Status == HttpStatusCode.OK) <= 2);
        Assert.Contains(farm, f => f.Status == HttpStatusCode.TooManyRequests && int.Parse(f.RetryAfter!, System.Globalization.CultureInfo.InvariantCulture) >= 1);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(claim.ClaimId)).Status);
        Assert.Equal(alice.Key.PublicKey, Assert.Single(await alice.ChainAsync(0)).Worker);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Keys_from_many_addresses_together_are_held_to_the_overall_rate(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { RegistrationsPerMinute = 4 });

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            using var key = WorkerKey.Generate();
            statuses.Add((await RegisterAsync(swarm, key, new RegisterRequest())).Status);
        }

        Assert.Equal(4, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(6, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task An_invite_only_swarm_refuses_keys_without_a_valid_invitation(string db)
    {
        const string Invite = "invite-0123456789abcdef";
        using var owner = WorkerKey.Generate();
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { Invites = [Invite], TrustedKeys = [owner.PublicKey] });
        using WorkerKey stranger = WorkerKey.Generate(), guesser = WorkerKey.Generate(), guest = WorkerKey.Generate();

        var none = await RegisterAsync(swarm, stranger, new RegisterRequest());
        var wrong = await RegisterAsync(swarm, guesser, new RegisterRequest(Invite: "invite-0123456789abcdeX"));
        var invited = await RegisterAsync(swarm, guest, new RegisterRequest(Invite: Invite));
        var again = await RegisterAsync(swarm, guest, new RegisterRequest());
        var trusted = await RegisterAsync(swarm, owner, new RegisterRequest());
        using var lease = new SwarmClient(swarm.Http, stranger, swarm.Clock)
            .Signed(HttpMethod.Post, "/v1/leases", "{}"u8.ToArray(), swarm.Clock.GetUtcNow(), CanonicalRequest.NewNonce());
        using var leaseReply = await swarm.Http.SendAsync(lease);

        Assert.Equal(HttpStatusCode.Forbidden, none.Status);
        Assert.Equal(HttpStatusCode.Forbidden, wrong.Status);
        Assert.Equal(HttpStatusCode.OK, invited.Status);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(HttpStatusCode.OK, trusted.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, leaseReply.StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_declared_owner_is_not_believed_only_the_operators_links_group_keys(string db)
    {
        using WorkerKey a1 = WorkerKey.Generate(), a2 = WorkerKey.Generate(), mallory = WorkerKey.Generate();
        var links = new Dictionary<string, string> { [a1.PublicKey] = "alice", [a2.PublicKey] = "alice" };
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { Owners = links });
        var alice = await swarm.JoinAsync("alice", a1);
        var alice2 = await swarm.JoinAsync("alice", a2);
        var impostor = await new SwarmClient(swarm.Http, mallory, swarm.Clock).RegisterAsync(new RegisterRequest("alice"));
        var bob = await swarm.JoinAsync("bob");

        await swarm.ClaimAsync(alice, s_base, swarm.BestPatch(s_base));
        var sameOwner = await TestSwarm.LeaseAsync(alice2, LeaseKind.Explore);
        var other = await TestSwarm.LeaseAsync(bob, LeaseKind.Verify);

        Assert.Equal(mallory.PublicKey, impostor.Owner);
        Assert.Equal("alice", (await alice2.RegisterAsync(new RegisterRequest("someone else"))).Owner);
        Assert.Null(sameOwner.Verify);
        Assert.NotNull(other.Verify);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Fresh_keys_cannot_verify_a_fresh_keys_fabricated_claim_once_verifiers_with_a_record_exist(string db)
    {
        // No trusted key: without the record rule, two fresh keys taking both jobs would accept any number their partner made up.
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var patch = swarm.BestPatch(s_base);
        var honest = await swarm.ClaimAsync(alice, s_base, patch);
        await swarm.VerifyHonestlyAsync(bob, s_base);
        await swarm.VerifyHonestlyAsync(carol, s_base);
        var head = SyntheticObjective.Apply(s_base, patch)!;
        var sybil = await swarm.JoinAsync("sybil");
        var partner1 = await swarm.JoinAsync("partner-1");
        var partner2 = await swarm.JoinAsync("partner-2");

        var fabricated = await swarm.ClaimAsync(sybil, head, SyntheticObjective.Patch(head, 3, 0.01), claimed: 0.5);
        var first = await TestSwarm.LeaseAsync(partner1, LeaseKind.Verify);
        var second = await partner2.LeaseAsync(new LeaseRequest());
        await partner1.ReportVerificationAsync(new VerificationReport(first.Id, true, swarm.Objective.Measure(head, first.Seed), 0.5));
        await swarm.VerifyHonestlyAsync(bob, s_base, head);
        await swarm.VerifyHonestlyAsync(carol, s_base, head);

        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(honest.ClaimId)).Status);
        Assert.Null(second.Lease?.Verify);
        Assert.Equal(ClaimStatus.False, (await sybil.ClaimStatusAsync(fabricated.ClaimId)).Status);
        Assert.Equal(alice.Key.PublicKey, Assert.Single(await alice.ChainAsync(0)).Worker);
    }

    [Fact]
    public void Rate_limiter_buckets_expire_once_refilled_and_an_empty_one_is_not_forgotten()
    {
        var clock = new TickingClock();
        var limiter = new RateLimiter(perSecond: 1, burst: 2, clock);

        for (var i = 0; i < 5000; i++)
        {
            limiter.TryTake($"key-{i}");
        }

        limiter.TryTake("busy");
        limiter.TryTake("busy");
        var held = limiter.Count;
        clock.Advance(TimeSpan.FromSeconds(0.5));
        limiter.Sweep();
        var afterHalf = limiter.Count;
        var busyAllowed = limiter.TryTake("busy", out var wait);
        clock.Advance(TimeSpan.FromSeconds(10));
        limiter.Sweep();

        Assert.Equal(5001, held);
        Assert.Equal(5001, afterHalf);
        Assert.False(busyAllowed);
        Assert.True(wait > TimeSpan.Zero);
        Assert.Equal(0, limiter.Count);
    }

    [Fact]
    public async Task The_coordinator_listens_on_loopback_unless_told_otherwise()
    {
        await using var swarm = await TestSwarm.StartAsync("sqlite");

        Assert.Equal("127.0.0.1", new CoordinatorOptions { ProjectDirectory = ".", Database = "sqlite:x" }.Listen);
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(swarm.Host.Address.Host)));
        Assert.Contains(new CoordinatorOptions { ProjectDirectory = swarm.Folder, Database = "sqlite:x", Listen = "everywhere" }.Validate(),
            p => p.Contains("--listen", StringComparison.Ordinal));
    }

    /// <summary>A clock whose timestamps (what the limiter reads) move only by hand.</summary>
    private sealed class TickingClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    private static async Task<(HttpStatusCode Status, string? RetryAfter)> RegisterAsync(TestSwarm swarm, WorkerKey key, RegisterRequest request)
    {
        var body = Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(request, SwarmJson.Options));
        using var message = new SwarmClient(swarm.Http, key, swarm.Clock).Signed(HttpMethod.Post, "/v1/register", body, swarm.Clock.GetUtcNow(), CanonicalRequest.NewNonce());
        using var response = await swarm.Http.SendAsync(message);
        return (response.StatusCode, response.Headers.RetryAfter?.ToString());
    }
}
