using AutoResearch.Cli.Tests.Support;
using AutoResearch.Swarm.Coordinator;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Simulator;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Cli.Tests;

/// <summary><c>autoresearch plot --coordinator URL</c> against a real coordinator whose chain holds one verified change.</summary>
public sealed class SwarmPlotTests
{
    [Fact]
    public async Task Plot_draws_the_swarms_verified_chain_read_from_the_coordinator()
    {
        var dir = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "swarm-plot-" + Guid.NewGuid().ToString("N")[..8]);
        var project = Path.Combine(dir, "project");
        await SimulatedWorkspace.CreateAsync(project, 0.01, SyntheticObjective.BaseText, CancellationToken.None);
        var objective = new SyntheticObjective(1, 0.01);
        var text = SyntheticObjective.BaseText;
        await using (var host = await CoordinatorHost.StartAsync(new CoordinatorOptions
        {
            ProjectDirectory = project,
            Database = "sqlite:" + Path.Combine(dir, "swarm.db"),
            Port = 0,
            RequestsPerSecond = 1000,
        }))
        {
            using var http = new HttpClient { BaseAddress = host.Address };
            var keys = Enumerable.Range(0, 3).Select(_ => WorkerKey.Generate()).ToList();
            var clients = keys.Select(k => new SwarmClient(http, k)).ToList();
            foreach (var (client, owner) in clients.Zip(["alice", "bob", "carol"]))
            {
                await client.RegisterAsync(new RegisterRequest(owner));
            }

            // Alice claims the best single-knob move; Bob and Carol verify it honestly, so it joins the chain.
            var patch = Enumerable.Range(0, SyntheticObjective.Knobs)
                .SelectMany(knob => new[] { 0.25, 0.5, 0.75, 1.0 }.Select(v => SyntheticObjective.Patch(text, knob, v)))
                .MaxBy(p => objective.TrueLoss(text) - objective.TrueLoss(SyntheticObjective.Apply(text, p)!))!;
            var explore = (await clients[0].LeaseAsync(new LeaseRequest(false))).Lease!;
            await clients[0].ClaimAsync(new ClaimRequest(explore.Id, patch, objective.Measure(text, explore.Seed),
                objective.Measure(SyntheticObjective.Apply(text, patch)!, explore.Seed), new string('a', 64), "best knob"));
            foreach (var verifier in clients.Skip(1))
            {
                var lease = (await verifier.LeaseAsync(new LeaseRequest(true))).Lease!;
                var candidate = SyntheticObjective.Apply(text, lease.Verify!.Patch)!;
                await verifier.ReportVerificationAsync(new VerificationReport(lease.Id, true, objective.Measure(text, lease.Seed),
                    objective.Measure(candidate, lease.Seed), null, null, new string('b', 64)));
            }

            Assert.Single(await clients[0].ChainAsync(0));
            var png = Path.Combine(dir, "out", "chain.png");

            var (code, output) = await CliRunner.RunAsync("plot", "--coordinator", host.Address.ToString(), "-o", png, "--width", "640", "--height", "360");

            Assert.True(code == 0, output);
            Assert.Contains("chain of 1 accepted change", output, StringComparison.Ordinal);
            var bytes = await File.ReadAllBytesAsync(png);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        }

        var (refused, message) = await CliRunner.RunAsync("plot", "--coordinator", "http://127.0.0.1:9/", "-o", Path.Combine(dir, "x.png"));
        Assert.NotEqual(0, refused);
        Assert.Contains("cannot read the chain", message, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }
}
