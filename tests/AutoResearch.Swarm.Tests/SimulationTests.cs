using System.Text.RegularExpressions;
using AutoResearch.Swarm.Simulator;
using AutoResearch.Swarm.Tests.Support;

namespace AutoResearch.Swarm.Tests;

public sealed class SimulationTests
{
    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_short_swarm_with_every_adversary_grows_the_chain_and_accepts_no_fraud(string db)
    {
        var folder = Path.Combine(Path.GetTempPath(), "autoresearch-swarm-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        var (database, drop) = await TestDatabases.CreateAsync(db, folder);
        using var output = new StringWriter();
        try
        {
            var options = new SimulationOptions
            {
                Workers = 12,
                Adversaries = "all",
                // Long enough that the chain grows even when this is the first swarm of a cold test process on a busy machine.
                Duration = TimeSpan.FromSeconds(10),
                RunTime = TimeSpan.FromMilliseconds(20),
                Database = database,
            };

            var report = await new Simulation(options, output).RunAsync();

            Assert.Equal(0, report.FraudulentAccepted);
            Assert.True(report.ChainLength > 0, output.ToString());
            Assert.True(report.HeadLoss < report.BaseLoss);
            Assert.Equal(8, report.Adversaries.Count);
            Assert.All(report.Adversaries.Where(a => a.Kind is "forger" or "replayer" or "smuggler"), a => Assert.True(a.Attempts > 0, a.Kind));
            // Lies are refused and a thief gets no credit (0 fraud above; the liar needs an explore lease first, which a busy
            // 10 s swarm may never give it, so its attempts are not required here: ClaimSchemaTests attack the schema directly).
            Assert.Equal(0, report.Adversaries.Single(a => a.Kind == "liar").Accepted);
            Assert.Equal(0, report.Adversaries.Single(a => a.Kind == "thief").Accepted);
            var last = output.ToString().TrimEnd().Split('\n')[^1];
            Assert.Matches(new Regex(@"^fraudulent_accepted: 0 verification_overhead: \d+\.\d% chain_length: \d+$"), last);
        }
        finally
        {
            await drop();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("fabricator:2,lazy", true)]
    [InlineData("all", true)]
    [InlineData("none", true)]
    [InlineData("cheater", false)]
    [InlineData("forger:x", false)]
    public void Adversary_spec_is_parsed_or_its_problem_named(string spec, bool valid)
    {
        var problems = new SimulationOptions { Adversaries = spec }.Validate();

        Assert.Equal(valid, problems.Count == 0);
    }
}
