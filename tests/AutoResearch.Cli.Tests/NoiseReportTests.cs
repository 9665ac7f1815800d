using AutoResearch.Cli.Tests.Support;
using AutoResearch.Tests.Support;

namespace AutoResearch.Cli.Tests;

public sealed class NoiseReportTests
{
    [Fact]
    public async Task Status_and_log_show_sigma_threshold_and_each_decisions_margin_after_a_parallel_run()
    {
        using var noisy = new NoisyWorkspace(noise: 1, extraToml: "[acceptance]\nbaseline_repeats = 3\n");
        const string Agent = "sed -i \"s/^NONCE=.*/NONCE=$AUTORESEARCH_EXPERIMENT/\" knobs.sh; echo 'new nonce'";

        var (code, output) = await CliRunner.RunAsync("run", noisy.Root, "--agent", "cli", "--agent-command", Agent, "--max-experiments", "3", "--parallel", "2", "--tag", "n");
        Assert.True(code == 0, output);

        var (_, status) = await CliRunner.RunAsync("status", noisy.Root);
        Assert.Contains("noise σ", status, StringComparison.Ordinal);
        Assert.Contains("keep rule", status, StringComparison.Ordinal);
        Assert.Matches(@"│ n\s+│ autoresearch/n .*│ [0-9]+\.[0-9]{6} │ [0-9]+\.[0-9]{6} │", status);

        var (_, log) = await CliRunner.RunAsync("log", noisy.Root);
        Assert.Contains("threshold", log, StringComparison.Ordinal);
        Assert.Contains("margin", log, StringComparison.Ordinal);
        Assert.Contains("baseline: mean of 3 run(s)", log, StringComparison.Ordinal);
        Assert.Matches(@"vs threshold [0-9]+\.[0-9]{6}", log);
    }
}
