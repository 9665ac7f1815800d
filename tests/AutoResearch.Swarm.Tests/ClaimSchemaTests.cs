using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Simulator;
using AutoResearch.Swarm.Tests.Support;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Tests;

/// <summary>Attacks on the claim schema: missing fields, metrics near the largest double, margins that would overflow.</summary>
public sealed class ClaimSchemaTests
{
    private static readonly string s_base = SyntheticObjective.BaseText;

    private static readonly string[] s_fields = ["lease_id", "patch", "parent_metric", "claimed_metric", "log_digest", "description"];

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_claim_missing_any_field_is_refused_with_400_naming_it_and_the_honest_claim_keeps_the_credit(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var cheat = await swarm.JoinAsync("cheat");
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var patch = swarm.BestPatch(s_base);
        var lease = await TestSwarm.LeaseAsync(cheat, LeaseKind.Explore, verify: false);

        var refusals = new List<(string Field, HttpStatusCode Status, string? Named)>();
        foreach (var field in s_fields)
        {
            var body = Claim(lease.Id, patch, 4.0, 0.0);
            body.Remove(field);
            var (status, problem) = await PostAsync(swarm, cheat, body);
            refusals.Add((field, status, problem?["field"]?.GetValue<string>()));
        }

        var honest = await swarm.ClaimAsync(alice, s_base, patch);
        await swarm.VerifyHonestlyAsync(bob, s_base);
        await swarm.VerifyHonestlyAsync(carol, s_base);

        Assert.All(refusals, r => Assert.Equal(HttpStatusCode.BadRequest, r.Status));
        Assert.Equal(s_fields, refusals.Select(r => r.Named));
        Assert.Equal(ClaimStatus.Pending, honest.Status);
        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(honest.ClaimId)).Status);
        Assert.Equal(alice.Key.PublicKey, Assert.Single(await alice.ChainAsync(0)).Worker);
        Assert.DoesNotContain(await LogAsync(swarm), e => e.Worker == cheat.Key.PublicKey);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Metrics_near_the_largest_double_are_refused_and_never_jump_the_verification_queue(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var cheat = await swarm.JoinAsync("cheat");
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var patch = swarm.BestPatch(s_base);

        var refused = new List<(HttpStatusCode Status, string? Field)>();
        // A refused claim leaves its lease active: one lease serves every attempt.
        var lease = await TestSwarm.LeaseAsync(cheat, LeaseKind.Explore, verify: false);
        foreach (var (parent, claimed) in new[] { (double.MaxValue, -double.MaxValue), (4.0, -1e308), (1e300, 0.0), (4.0, 1e15), (-1e308, 1e308) })
        {
            var (status, problem) = await PostAsync(swarm, cheat, Claim(lease.Id, SyntheticObjective.Patch(s_base, 3, 0.01), parent, claimed));
            refused.Add((status, problem?["field"]?.GetValue<string>()));
        }

        var honest = await swarm.ClaimAsync(alice, s_base, patch);
        var (first, _) = await swarm.VerifyHonestlyAsync(bob, s_base);
        await swarm.VerifyHonestlyAsync(carol, s_base);

        Assert.All(refused, r => Assert.Equal(HttpStatusCode.BadRequest, r.Status));
        Assert.All(refused, r => Assert.Contains(r.Field, new[] { "parent_metric", "claimed_metric" }));
        Assert.Equal(honest.ClaimId, first.Verify!.ClaimId);
        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(honest.ClaimId)).Status);
        Assert.Equal(alice.Key.PublicKey, Assert.Single(await alice.ChainAsync(0)).Worker);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task On_a_verified_head_metrics_are_bounded_by_the_heads_metric_times_the_range(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var cheat = await swarm.JoinAsync("cheat");
        var patch = swarm.BestPatch(s_base);
        var accepted = await swarm.ClaimAsync(alice, s_base, patch);
        await swarm.VerifyHonestlyAsync(bob, s_base);
        await swarm.VerifyHonestlyAsync(carol, s_base);
        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(accepted.ClaimId)).Status);
        var head = SyntheticObjective.Apply(s_base, patch)!;

        // The head's metric is about 4: within the base head's limit (1e12), far outside 1000 times the head's.
        var lease = await TestSwarm.LeaseAsync(cheat, LeaseKind.Explore, verify: false);
        var (status, problem) = await PostAsync(swarm, cheat, Claim(lease.Id, swarm.BestPatch(head), 4.0, -1e9));
        var honest = await swarm.ClaimAsync(alice, head, swarm.BestPatch(head));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("claimed_metric", problem?["field"]?.GetValue<string>());
        Assert.Contains("range", problem?["detail"]?.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(ClaimStatus.Pending, honest.Status);
    }

    private static JsonObject Claim(long lease, string patch, double parent, double claimed) => new()
    {
        ["lease_id"] = lease,
        ["patch"] = patch,
        ["parent_metric"] = parent,
        ["claimed_metric"] = claimed,
        ["log_digest"] = new string('a', 64),
        ["description"] = "cheat",
    };

    private static async Task<(HttpStatusCode Status, JsonNode? Problem)> PostAsync(TestSwarm swarm, SwarmClient client, JsonObject body)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        using var message = client.Signed(HttpMethod.Post, "/v1/claims", bytes, swarm.Clock.GetUtcNow(), CanonicalRequest.NewNonce());
        using var response = await swarm.Http.SendAsync(message);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    private static async Task<List<LogEntry>> LogAsync(TestSwarm swarm)
    {
        var reply = await swarm.Http.GetStringAsync("v1/experiments?after=0&limit=100");
        return JsonSerializer.Deserialize<List<LogEntry>>(reply, SwarmJson.Options)!;
    }
}
