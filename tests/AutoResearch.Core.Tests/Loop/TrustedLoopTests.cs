using AutoResearch.Core.Records;
using AutoResearch.Core.Tests.Running;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Loop;

/// <summary>The loop under <c>[score] mode = "trusted"</c>: the harness's metric decides, a disagreeing self-report is flagged.</summary>
public sealed class TrustedLoopTests
{
    [Fact]
    public async Task Trusted_metric_decides_and_a_disagreeing_self_report_is_flagged_on_the_experiment()
    {
        using var toy = Trusted("honest");
        // The experiment prints score: 1, far better than the baseline's 10, but the model it serves is the same.
        toy.Plan(ToyWorkspace.SetX(1));

        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        var experiments = LoopHarness.Experiments(toy);
        Assert.Equal(["keep", "discard"], LoopHarness.Statuses(experiments));
        Assert.Equal(experiments[0].Metric!.Value, experiments[1].Metric!.Value, 9);
        Assert.Equal(1, experiments[1].Metrics["self_reported_score"]);
        Assert.Contains("self-reported score 1 disagrees with the trusted", experiments[1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_that_looks_ahead_is_rejected()
    {
        using var toy = Trusted("honest");
        // The candidate swaps in the peeking server.
        toy.Plan($"sed -i 's/^X=.*/X=2/' knobs.sh; echo peek > {Path.Combine(toy.Scratch, "mode")}; echo 'look ahead'");

        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        var experiments = LoopHarness.Experiments(toy);
        Assert.Equal(["keep", "rejected"], LoopHarness.Statuses(experiments));
        Assert.Contains("causality check failed", experiments[1].Error, StringComparison.Ordinal);
    }

    private static ToyWorkspace Trusted(string mode)
    {
        var toy = new ToyWorkspace(extraToml: "");
        var server = Path.Combine(toy.Scratch, "server.py");
        File.WriteAllText(server, TrustedScoringTests.Server);
        File.WriteAllText(Path.Combine(toy.Scratch, "mode"), mode);
        var corpus = new byte[3000];
        new Random(11).NextBytes(corpus);
        File.WriteAllBytes(Path.Combine(toy.Scratch, "corpus.bin"), corpus);
        // The server's mode is read from a file outside the repository, so a plan line can switch it.
        var toml = File.ReadAllText(Path.Combine(toy.Root, "autoresearch.toml")) + $"""

            [score]
            mode = "trusted"
            serve = "python3 {server} $(cat {Path.Combine(toy.Scratch, "mode")})"
            data = "{Path.Combine(toy.Scratch, "corpus.bin")}"
            """;
        File.WriteAllText(Path.Combine(toy.Root, "autoresearch.toml"), toml);
        toy.Repo.Git("commit", "-qam", "trusted scoring");
        return toy;
    }
}
