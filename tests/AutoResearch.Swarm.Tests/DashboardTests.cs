using System.Text.RegularExpressions;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Simulator;
using AutoResearch.Swarm.Tests.Support;

namespace AutoResearch.Swarm.Tests;

/// <summary>The coordinator's dashboard over real HTTP: the chain, the shared log newest first, the leaderboard and the workers.</summary>
public sealed partial class DashboardTests
{
    private static readonly string s_base = SyntheticObjective.BaseText;

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Pages_show_the_verified_chain_the_log_newest_first_and_who_did_it_with_untrusted_text_encoded(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var empty = await swarm.Http.GetStringAsync("/");

        var lease = await TestSwarm.LeaseAsync(alice, LeaseKind.Explore, verify: false);
        var patch = swarm.BestPatch(s_base);
        var claimed = swarm.Objective.Measure(SyntheticObjective.Apply(s_base, patch)!, lease.Seed);
        await alice.ClaimAsync(new ClaimRequest(lease.Id, patch, swarm.Objective.Measure(s_base, lease.Seed), claimed, new string('a', 64),
            "<script>alert('chain')</script> lower k"));
        var pending = await swarm.Http.GetStringAsync("/");
        await swarm.VerifyHonestlyAsync(bob, s_base);
        await swarm.VerifyHonestlyAsync(carol, s_base);
        var crashed = await TestSwarm.LeaseAsync(alice, LeaseKind.Explore);
        var busy = await swarm.Http.GetStringAsync("/workers");
        await alice.ReportExperimentAsync(new ExperimentReport(crashed.Id, "crash", null, "<img src=x onerror=alert(1)> later crash", null));

        var home = await swarm.Http.GetStringAsync("/");
        var log = await swarm.Http.GetStringAsync("/log");
        var board = await swarm.Http.GetStringAsync("/leaderboard");
        var workers = await swarm.Http.GetStringAsync("/workers");
        using var chart = await swarm.Http.GetAsync("/chain/progress.png");
        var png = await chart.Content.ReadAsByteArrayAsync();

        // The chain page: the accepted change, encoded, with its chart.
        Assert.Contains("&lt;script&gt;alert(", home, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(", home, StringComparison.Ordinal);
        Assert.Contains("chain/progress.png", home, StringComparison.Ordinal);
        Assert.Contains("<td class=\"num wide\">2</td>", home, StringComparison.Ordinal); // verified by bob and carol
        Assert.Equal("image/png", chart.Content.Headers.ContentType?.MediaType);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        // The log: newest first (the crash after the claim), encoded.
        var crash = log.IndexOf("later crash", StringComparison.Ordinal);
        var claim = log.IndexOf("lower k", StringComparison.Ordinal);
        Assert.True(crash >= 0 && claim > crash, "the log lists the later crash before the earlier claim");
        Assert.DoesNotContain("<img src=x", log, StringComparison.Ordinal);
        // Credit and workers.
        Assert.Contains(alice.Key.PublicKey, board, StringComparison.Ordinal);
        Assert.Contains(bob.Key.PublicKey, workers, StringComparison.Ordinal);
        Assert.Contains(carol.Key.PublicKey, workers, StringComparison.Ordinal);
        Assert.Contains("exploring on #1", busy, StringComparison.Ordinal);
        Assert.DoesNotContain("exploring on #1", workers, StringComparison.Ordinal);
        // Live updates: the version each page carries moves with the swarm.
        var versions = new[] { empty, pending, home }.Select(Version).ToList();
        Assert.Equal(3, versions.Distinct().Count());
        Assert.Equal(Version(home), Version(await swarm.Http.GetStringAsync("/chain")));
    }

    private static string Version(string page) => VersionPattern().Match(page) is { Success: true } m ? m.Groups[1].Value : "";

    [GeneratedRegex("data-version=\"([^\"]*)\"")]
    private static partial Regex VersionPattern();
}
