using AutoResearch.Cli.Rendering;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using Spectre.Console.Testing;

namespace AutoResearch.Cli.Tests;

public sealed class LiveViewTests
{
    [Fact]
    public async Task Shows_every_slot_in_flight_and_the_noise_threshold()
    {
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", "[objective]\nmetric = \"score\"\ndirection = \"minimize\"\n[run]\ncommand = \"true\"\n[scope]\neditable = [\"a\"]\n");
        var view = new LiveView(spec);
        ExperimentRecord Experiment(long id, int seq, int slot) => new()
        {
            Id = id,
            Tag = "t",
            Seq = seq,
            Phase = ExperimentPhase.Running,
            ParentCommit = "abcdef0123",
            Proposer = "p",
            StartedAt = DateTimeOffset.UnixEpoch,
            Seed = 42,
            Slot = slot,
            Description = $"idea {seq}",
        };
        var baseline = Experiment(1, 0, 0) with { Phase = ExperimentPhase.Done, Status = ExperimentStatus.Keep, Metric = 3.5, Sigma = 0.01, Threshold = 0.02 };
        view.OnExperimentFinished(baseline, baseline);
        view.OnRunning(Experiment(2, 1, 0), TimeSpan.FromSeconds(60));
        view.OnRunning(Experiment(3, 2, 1), TimeSpan.FromSeconds(60));
        view.OnOutput(Experiment(3, 2, 1), "progress: 40% loss: 3.9");
        var console = new TestConsole().Width(200);

        await view.ShowAsync(console, () => Task.FromResult(0), CancellationToken.None);

        Assert.Contains("slot 0 #1 running", console.Output, StringComparison.Ordinal);
        Assert.Contains("slot 1 #2 running", console.Output, StringComparison.Ordinal);
        Assert.Contains("progress: 40% loss: 3.9", console.Output, StringComparison.Ordinal);
        Assert.Contains("σ 0.010000, a keep must beat the best by 0.020000", console.Output, StringComparison.Ordinal);
    }
}
