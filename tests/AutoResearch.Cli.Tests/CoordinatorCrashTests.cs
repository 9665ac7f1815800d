using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AutoResearch.Cli.Tests.Support;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Simulator;
using AutoResearch.Swarm.Tests.Support;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Cli.Tests;

/// <summary>
/// `autoresearch coordinator` killed with SIGKILL while each report of a merged round is in flight (the second one decides the
/// round: a link, three claims closed, credit to five keys), restarted on the same database, and the same signed report sent
/// again: whatever moment the kill hit, nothing is lost and nothing counted twice.
/// </summary>
public sealed class CoordinatorCrashTests
{
    private static readonly string s_base = SyntheticObjective.BaseText;
    private readonly SyntheticObjective _objective = new(1, 0.01);

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_coordinator_killed_during_a_merged_round_loses_nothing_and_counts_nothing_twice(string db)
    {
        var folder = Path.Combine(Path.GetTempPath(), "autoresearch-crash-tests", Guid.NewGuid().ToString("N")[..12]);
        await SimulatedWorkspace.CreateAsync(folder, 0.01, s_base, CancellationToken.None);
        var (database, drop) = await TestDatabases.CreateAsync(db, folder);
        var port = FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/"), Timeout = TimeSpan.FromSeconds(10) };
        var logs = new List<string>();
        Process? coordinator = null;
        var keys = new List<WorkerKey>();
        var kills = 0;

        async Task StartAsync()
        {
            var log = Path.Combine(folder, $"coordinator-{logs.Count}.log");
            logs.Add(log);
            coordinator = CliRunner.Start(log, "coordinator", "--project", folder, "--db", database, "--port", port.ToString(CultureInfo.InvariantCulture),
                "--verification-budget", "1");
            var deadline = Stopwatch.StartNew();
            while (!await HealthyAsync(http))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60) && !coordinator.HasExited, "the coordinator did not start\n" + Logs());
                await Task.Delay(200);
            }
        }

        string Logs() => string.Join("\n", logs.Where(File.Exists).Select(l => $"== {Path.GetFileName(l)}\n{File.ReadAllText(l)}"));

        async Task<SwarmClient> JoinAsync(string owner)
        {
            var key = WorkerKey.Generate();
            keys.Add(key);
            var client = new SwarmClient(http, key, TimeProvider.System) { GiveUpAfter = TimeSpan.FromSeconds(60) };
            await client.RegisterAsync(new RegisterRequest(owner));
            return client;
        }

        try
        {
            await StartAsync();
            SwarmClient[] claimers = [await JoinAsync("alice"), await JoinAsync("dave"), await JoinAsync("erin")];
            SwarmClient[] verifiers = [await JoinAsync("bob"), await JoinAsync("carol")];
            var claims = new List<ClaimReply>();
            foreach (var (claimer, knob) in claimers.Zip(BestKnobs(3)))
            {
                var lease = (await claimer.LeaseAsync(new LeaseRequest(false))).Lease!;
                var patch = SyntheticObjective.Patch(s_base, knob, 0.5);
                claims.Add(await claimer.ClaimAsync(new ClaimRequest(lease.Id, patch, _objective.Measure(s_base, lease.Seed),
                    _objective.Measure(SyntheticObjective.Apply(s_base, patch)!, lease.Seed), new string('a', 64), $"k{knob}")));
            }

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
                    var report = new VerificationReport(lease.Id, true, _objective.Measure(head, lease.Seed),
                        _objective.Measure(SyntheticObjective.Apply(head, job.Patch)!, lease.Seed));
                    if (job.Patch.Split('\n').Count(l => l.StartsWith("-k", StringComparison.Ordinal)) < 2)
                    {
                        await verifier.ReportVerificationAsync(report);
                        continue;
                    }

                    // A report of the merged round: kill -9 the coordinator while it is in flight, start it again, send it again.
                    var body = JsonSerializer.SerializeToUtf8Bytes(report, SwarmJson.Options);
                    var (issued, nonce) = (DateTimeOffset.UtcNow, CanonicalRequest.NewNonce());
                    using (var first = verifier.Signed(HttpMethod.Post, "/v1/verifications", body, issued, nonce))
                    {
                        var sent = http.SendAsync(first);
                        await Task.Delay(Random.Shared.Next(0, 15));
                        coordinator!.Kill(entireProcessTree: true);
                        await coordinator.WaitForExitAsync();
                        kills++;
                        try
                        {
                            (await sent).Dispose();
                        }
                        catch (HttpRequestException)
                        {
                            // The coordinator died before it answered: the report may or may not have been committed.
                        }
                    }

                    await StartAsync();
                    using var again = verifier.Signed(HttpMethod.Post, "/v1/verifications", body, issued, nonce);
                    using var answer = await http.SendAsync(again);
                    Assert.True(answer.IsSuccessStatusCode, $"{answer.StatusCode}: {await answer.Content.ReadAsStringAsync()}\n{Logs()}");
                }
            }

            Assert.Equal(2, kills);
            var chain = await verifiers[0].ChainAsync(0);
            Assert.Equal(2, chain.Count);
            Assert.Contains("(+1 merged)", chain[1].Description, StringComparison.Ordinal);
            foreach (var (claimer, claim) in claimers.Zip(claims))
            {
                Assert.Equal(ClaimStatus.Accepted, (await claimer.ClaimStatusAsync(claim.ClaimId)).Status);
            }

            var board = await verifiers[0].LeaderboardAsync(0, 10);
            Assert.All(claimers, c => Assert.Equal(1, board.Single(e => e.Worker == c.Key.PublicKey).Accepted));
            // Three reproductions and the merged round, two reports each, every one agreeing and counted once.
            Assert.Equal(8, verifiers.Sum(v => board.Single(e => e.Worker == v.Key.PublicKey).VerificationCredit));
            Assert.Equal(2, (await verifiers[0].HeadAsync()).Sequence);
        }
        finally
        {
            if (coordinator is { HasExited: false })
            {
                coordinator.Kill(entireProcessTree: true);
                await coordinator.WaitForExitAsync();
            }

            coordinator?.Dispose();
            keys.ForEach(k => k.Dispose());
            await drop();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The <paramref name="count"/> knobs whose move to 0.5 helps most from the base.</summary>
    private IEnumerable<int> BestKnobs(int count) =>
        Enumerable.Range(0, SyntheticObjective.Knobs)
            .OrderBy(k => _objective.TrueLoss(SyntheticObjective.Apply(s_base, SyntheticObjective.Patch(s_base, k, 0.5))!)).Take(count);

    private static async Task<string> HeadTextAsync(SwarmClient client, long sequence)
    {
        var text = s_base;
        foreach (var link in (await client.ChainAsync(0)).Take((int)sequence))
        {
            text = SyntheticObjective.Apply(text, link.Patch)!;
        }

        return text;
    }

    private static async Task<bool> HealthyAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync("v1/health");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
