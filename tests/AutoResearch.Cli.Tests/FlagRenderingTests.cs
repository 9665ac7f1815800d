using AutoResearch.Cli.Rendering;
using AutoResearch.Core.Records;
using Spectre.Console.Testing;

namespace AutoResearch.Cli.Tests;

public sealed class FlagRenderingTests
{
    [Fact]
    public void Log_table_shows_the_flag_of_a_run_whose_self_report_disagreed()
    {
        ExperimentRecord Experiment(int seq, string? error) => new()
        {
            Id = seq + 1,
            Tag = "t",
            Seq = seq,
            Phase = ExperimentPhase.Done,
            Status = ExperimentStatus.Discard,
            ParentCommit = "abcdef0123",
            Proposer = "p",
            StartedAt = DateTimeOffset.UnixEpoch,
            Seed = 42,
            Description = $"idea {seq}",
            Metric = 3.5,
            Error = error,
        };
        var console = new TestConsole().Width(400);

        console.Write(Tables.Experiments("val_bpb", [Experiment(1, null), Experiment(2, "self-reported val_bpb 0.1 disagrees")]));

        Assert.Contains("idea 2 (flag: self-reported val_bpb 0.1 disagrees)", console.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("idea 1 (flag", console.Output, StringComparison.Ordinal);
    }
}
