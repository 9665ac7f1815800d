using AutoResearch.Core.Loop;
using AutoResearch.Core.Records;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Loop;

public sealed class EarlyStopLoopTests
{
    private const string Spec = """
        [acceptance]
        baseline_repeats = 3

        [early_stop]
        enabled = true
        min_fraction = 0.3
        """;

    [Fact]
    public async Task Clearly_worse_curve_is_stopped_with_its_curve_and_better_or_close_ones_run_to_the_end()
    {
        // σ = 0.1 on every point of the curve; ten progress lines 30 ms apart, then 0.4 s before the summary.
        using var noisy = new NoisyWorkspace(noise: 0.1, extraToml: Spec, steps: 10);
        noisy.Repo.Write("knobs.sh", noisy.Repo.Read("knobs.sh").Replace("STEP_SLEEP=0", "STEP_SLEEP=0.03", StringComparison.Ordinal)
            .Replace("SLEEP=0\n", "SLEEP=0.4\n", StringComparison.Ordinal));
        noisy.Repo.Git("commit", "-qam", "slow curve");
        var plan = new[] { NoisyWorkspace.Set("X", 20), NoisyWorkspace.Set("X", 9.5), NoisyWorkspace.Set("X", 9.6) };

        var summary = await LoopHarness.RunAsync(noisy.Root, new PlanProposer(plan), new LoopOptions { Tag = "e", MaxExperiments = 3 });

        var (worse, better, close) = (summary.Experiments[1], summary.Experiments[2], summary.Experiments[3]);
        Assert.Equal(ExperimentStatus.Stopped, worse.Status);
        Assert.Null(worse.Metric);
        Assert.Contains("stopped at 40%", worse.Decision, StringComparison.Ordinal);
        // Stopped after the 30% mark on two lines in a row, its curve recorded, the rest of its budget saved.
        Assert.Equal([10, 20, 30, 40], worse.Curve.Select(p => p.Progress));
        Assert.True(worse.RunSeconds < better.RunSeconds / 2, $"stopped run took {worse.RunSeconds} s, a full one {better.RunSeconds} s");
        Assert.Equal(ExperimentStatus.Keep, better.Status);
        Assert.Equal(10, better.Curve.Count);
        // Worse than the new best by 0.1, within 3σ of curve noise: runs to the end and is judged on its metric.
        Assert.NotEqual(ExperimentStatus.Stopped, close.Status);
        Assert.NotNull(close.Metric);
    }

    [Fact]
    public async Task Nothing_is_stopped_when_early_stopping_is_off()
    {
        using var noisy = new NoisyWorkspace(noise: 0.1, extraToml: "[acceptance]\nbaseline_repeats = 3\n", steps: 10);

        var summary = await LoopHarness.RunAsync(noisy.Root, new PlanProposer(NoisyWorkspace.Set("X", 20)), new LoopOptions { Tag = "o", MaxExperiments = 1 });

        Assert.Equal(ExperimentStatus.Discard, summary.Experiments[1].Status);
        Assert.Equal(10, summary.Experiments[1].Curve.Count);
    }
}
