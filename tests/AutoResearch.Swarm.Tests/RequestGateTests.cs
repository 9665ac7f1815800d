using System.Net;
using System.Text;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Tests.Support;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Tests;

public sealed class RequestGateTests
{
    private static readonly byte[] s_leaseBody = Encoding.UTF8.GetBytes("{\"verify\":false}");

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Registered_worker_gets_an_explore_lease_on_the_base_head(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var worker = await swarm.JoinAsync("alice");

        var lease = await TestSwarm.LeaseAsync(worker, LeaseKind.Explore);
        var head = await worker.HeadAsync();

        Assert.Equal(0, lease.HeadSequence);
        Assert.Equal(head.HeadId, lease.HeadId);
        Assert.Equal(swarm.Host.Project.BaseCommit, head.BaseCommit);
    }

    [Fact]
    public async Task Unsigned_post_is_refused()
    {
        await using var swarm = await TestSwarm.StartAsync("sqlite");

        using var response = await swarm.Http.PostAsync("v1/leases", new ByteArrayContent(s_leaseBody));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Bad_borrowed_and_unknown_signatures_are_refused(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var victim = await swarm.JoinAsync("victim");
        var forger = await swarm.JoinAsync("forger");
        using var stranger = WorkerKey.Generate();

        using var tampered = forger.Signed(HttpMethod.Post, "/v1/leases", s_leaseBody, swarm.Clock.GetUtcNow(), CanonicalRequest.NewNonce());
        tampered.Content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"verify\":true}"));
        using var borrowed = forger.Signed(HttpMethod.Post, "/v1/leases", s_leaseBody, swarm.Clock.GetUtcNow(), CanonicalRequest.NewNonce());
        borrowed.Headers.Remove(SignedHeaders.Key);
        borrowed.Headers.TryAddWithoutValidation(SignedHeaders.Key, victim.Key.PublicKey);
        using var unknown = new SwarmClient(swarm.Http, stranger).Signed(HttpMethod.Post, "/v1/leases", s_leaseBody, swarm.Clock.GetUtcNow(), CanonicalRequest.NewNonce());

        foreach (var message in new[] { tampered, borrowed, unknown })
        {
            using var response = await swarm.Http.SendAsync(message);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task Stale_issue_time_is_refused()
    {
        await using var swarm = await TestSwarm.StartAsync("sqlite");
        var worker = await swarm.JoinAsync("alice");

        using var stale = worker.Signed(HttpMethod.Post, "/v1/leases", s_leaseBody, swarm.Clock.GetUtcNow().AddMinutes(-6), CanonicalRequest.NewNonce());
        using var response = await swarm.Http.SendAsync(stale);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("stale", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Replayed_nonce_gets_the_stored_reply_and_no_second_lease(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var worker = await swarm.JoinAsync("alice");
        var nonce = CanonicalRequest.NewNonce();
        var issued = swarm.Clock.GetUtcNow();

        using var first = worker.Signed(HttpMethod.Post, "/v1/leases", s_leaseBody, issued, nonce);
        using var firstReply = await swarm.Http.SendAsync(first);
        var firstText = await firstReply.Content.ReadAsStringAsync();
        using var replay = worker.Signed(HttpMethod.Post, "/v1/leases", s_leaseBody, issued, nonce);
        using var replayReply = await swarm.Http.SendAsync(replay);
        var next = await TestSwarm.LeaseAsync(worker, LeaseKind.Explore, verify: false);

        Assert.Equal(HttpStatusCode.OK, replayReply.StatusCode);
        Assert.True(replayReply.Headers.Contains(SignedHeaders.Replayed));
        Assert.Equal(firstText, await replayReply.Content.ReadAsStringAsync());
        var firstLease = System.Text.Json.JsonSerializer.Deserialize<LeaseReply>(firstText, SwarmJson.Options)!.Lease!;
        Assert.Equal(firstLease.Id + 1, next.Id);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Copies_of_one_request_in_flight_at_once_take_effect_once_and_share_its_reply(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var worker = await swarm.JoinAsync("alice");
        var nonce = CanonicalRequest.NewNonce();
        var issued = swarm.Clock.GetUtcNow();

        var replies = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            using var copy = worker.Signed(HttpMethod.Post, "/v1/leases", s_leaseBody, issued, nonce);
            using var reply = await swarm.Http.SendAsync(copy);
            return (reply.StatusCode, Replayed: reply.Headers.Contains(SignedHeaders.Replayed), Text: await reply.Content.ReadAsStringAsync());
        }));
        var next = await TestSwarm.LeaseAsync(worker, LeaseKind.Explore, verify: false);

        Assert.All(replies, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Single(replies, r => !r.Replayed);
        Assert.Single(replies.Select(r => r.Text).Distinct());
        var lease = System.Text.Json.JsonSerializer.Deserialize<LeaseReply>(replies[0].Text, SwarmJson.Options)!.Lease!;
        Assert.Equal(lease.Id + 1, next.Id);
    }

    [Fact]
    public async Task Oversized_body_is_refused()
    {
        await using var swarm = await TestSwarm.StartAsync("sqlite", o => o with { MaxBodyBytes = 8192 });
        var worker = await swarm.JoinAsync("alice");
        var body = Encoding.UTF8.GetBytes("{\"verify\":false,\"pad\":\"" + new string('x', 9000) + "\"}");

        using var big = worker.Signed(HttpMethod.Post, "/v1/leases", body, swarm.Clock.GetUtcNow(), CanonicalRequest.NewNonce());
        using var response = await swarm.Http.SendAsync(big);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Requests_beyond_the_rate_are_refused_with_429()
    {
        await using var swarm = await TestSwarm.StartAsync("sqlite", o => o with { RequestsPerSecond = 1 });
        var worker = await swarm.JoinAsync("alice");
        var statuses = new List<HttpStatusCode>();

        for (var i = 0; i < 4; i++)
        {
            using var message = worker.Signed(HttpMethod.Post, "/v1/leases", s_leaseBody, swarm.Clock.GetUtcNow(), CanonicalRequest.NewNonce());
            using var response = await swarm.Http.SendAsync(message);
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_new_key_holds_at_most_its_initial_quota_of_leases(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { InitialQuota = 2 });
        var worker = await swarm.JoinAsync("alice");

        await TestSwarm.LeaseAsync(worker, LeaseKind.Explore);
        await TestSwarm.LeaseAsync(worker, LeaseKind.Explore);
        var third = await worker.LeaseAsync(new LeaseRequest());

        Assert.Null(third.Lease);
        Assert.True(third.RetryAfterMs > 0);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_claim_beyond_the_pending_claim_quota_is_refused_with_409_and_not_retried(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db, o => o with { InitialQuota = 1 });
        var worker = await swarm.JoinAsync("alice");
        var text = Simulator.SyntheticObjective.BaseText;
        await swarm.ClaimAsync(worker, text, Simulator.SyntheticObjective.Patch(text, 1, 0.5));

        var refused = await Assert.ThrowsAsync<SwarmCallException>(() => swarm.ClaimAsync(worker, text, Simulator.SyntheticObjective.Patch(text, 2, 0.5)));

        Assert.Equal(409, refused.Status);
        Assert.Equal("claim quota", refused.Title);
    }
}
