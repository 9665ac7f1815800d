using AutoResearch.Cli.Rendering;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using Spectre.Console.Testing;

namespace AutoResearch.Cli.Tests.Rendering;

/// <summary><c>log</c> and <c>show</c> say what a metric is (the mean of the seeds), whose summary block they show, and what a keep cost.</summary>
public sealed class HonestNumbersTests
{
    [Fact]
    public void Show_labels_the_mean_of_the_seeds_and_the_last_run_s_summary_apart_and_gives_cost_and_conditions()
    {
        var (baseline, kept) = Run();
        var console = new TestConsole().Width(250);

        Tables.PrintExperiment(console, "val_bpb", kept, [baseline, kept], CostMeasure.Time);

        var output = console.Output;
        Assert.Matches(@"val_bpb \(mean of 2 seeds\)\s+2\.100000", output);
        Assert.Matches(@"val_bpb \[last run \(seed 43\)\]\s+2\.2\s", output);
        Assert.Contains("num_params_M [last run (seed 43)]", output, StringComparison.Ordinal);
        Assert.Contains("1.7x time ([cost] measure), 2.0x params", output, StringComparison.Ordinal);
        Assert.Contains("Test CPU, 2 cores; load 3.50 during its runs; autoresearch 9.9.9", output, StringComparison.Ordinal);
        Assert.Contains("warning", output, StringComparison.Ordinal);
        Assert.Contains("machine load 3.5 against the baseline's 1.0", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Log_heads_the_metric_as_a_mean_and_shows_each_keep_s_cost_ratio_and_its_warning()
    {
        var (baseline, kept) = Run();
        var console = new TestConsole().Width(300);

        console.Write(Tables.Experiments("val_bpb", [baseline, kept], CostMeasure.Params));
        Tables.PrintWarnings(console, [baseline, kept]);

        var output = console.Output;
        Assert.Contains("val_bpb (mean of seeds)", output, StringComparison.Ordinal);
        Assert.Contains("2.0x params", output, StringComparison.Ordinal);
        Assert.Contains("warning #1 (id 2): machine load 3.5 against the baseline's 1.0", output, StringComparison.Ordinal);
    }

    private static (ExperimentRecord Baseline, ExperimentRecord Kept) Run()
    {
        var baseline = new ExperimentRecord
        {
            Id = 1,
            Tag = "t",
            Seq = 0,
            Phase = ExperimentPhase.Done,
            Status = ExperimentStatus.Keep,
            ParentCommit = "abc1234",
            CandidateCommit = "abc1234",
            Proposer = "baseline",
            Metric = 2.3,
            StartedAt = DateTimeOffset.UnixEpoch,
            Seed = 42,
            Cost = new ExperimentCost { Seconds = 60, Params = 1e6 },
            Conditions = new RunConditions { ToolVersion = "9.9.9", Cpu = "Test CPU", Cores = 2, Load = 1.0 },
        };
        var kept = baseline with
        {
            Id = 2,
            Seq = 1,
            CandidateCommit = "def5678",
            Proposer = "search",
            Description = "N_LAYER 4 -> 8",
            Metric = 2.1,
            Runs = [new Measurement(42, 2.0, 100, []), new Measurement(43, 2.2, 104, [])],
            Metrics = new Dictionary<string, double> { ["val_bpb"] = 2.2, ["num_params_M"] = 2.0 },
            Cost = new ExperimentCost { Seconds = 102, Params = 2e6, Runs = 2 },
            Conditions = new RunConditions { ToolVersion = "9.9.9", Cpu = "Test CPU", Cores = 2, Load = 3.5, Warnings = ["machine load 3.5 against the baseline's 1.0"] },
        };
        return (baseline, kept);
    }
}
