using AutoResearch.Core.Proposers;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;

namespace AutoResearch.Llm.Tests;

public sealed class BriefingTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "brief-" + Guid.NewGuid().ToString("N")[..12]);

    public BriefingTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Briefing_carries_the_rules_history_kept_diffs_notebook_and_crash_tail()
    {
        File.WriteAllText(Path.Combine(_root, "program.md"), "Make it fast.\n");
        var spec = SpecLoader.FromToml(_root, Path.Combine(_root, "autoresearch.toml"), """
            [objective]
            metric = "val_bpb"
            direction = "minimize"
            [run]
            command = "dotnet run train.cs"
            timeout_seconds = 120
            [scope]
            editable = ["train.cs"]
            """);
        var baseline = Record(0, ExperimentStatus.Keep, 2.5, "baseline") with { Threshold = 0.01 };
        var kept = Record(1, ExperimentStatus.Keep, 2.4, "raise LR") with { Patch = "-LR = 1e-3\n+LR = 2e-3\n", Threshold = 0.01 };
        var crashed = Record(2, ExperimentStatus.Crash, null, "double width") with { Error = "exit code 1 (last line: OOM)" };
        var context = new ProposalContext(spec, _root, Path.Combine(_root, "run"), Record(3, null, null, null), kept,
            [baseline, kept, crashed], "step 10\nout of memory");

        var text = Briefing.Build(context, ["train.cs"], "- (run t, experiment 1) LR matters\n");

        Assert.Contains("Goal: lower `val_bpb`.", text, StringComparison.Ordinal);
        Assert.Contains("## Instructions (program.md)\n\nMake it fast.", text, StringComparison.Ordinal);
        Assert.Contains("- Editable: `train.cs` (now: train.cs).", text, StringComparison.Ordinal);
        Assert.Contains("hard limit of 120 s", text, StringComparison.Ordinal);
        Assert.Contains("val_bpb = 2.4 (experiment 1: raise LR).\nThe baseline scored 2.5.", text, StringComparison.Ordinal);
        Assert.Contains("more than 0.01 (the measured noise)", text, StringComparison.Ordinal);
        Assert.Contains("| 2 | crash | - | double width | exit code 1 (last line: OOM) |", text, StringComparison.Ordinal);
        Assert.Contains("## Kept change 1: raise LR\n\n```diff\n-LR = 1e-3\n+LR = 2e-3\n```", text, StringComparison.Ordinal);
        Assert.Contains("## Your notebook\n\n- (run t, experiment 1) LR matters", text, StringComparison.Ordinal);
        Assert.Contains("```\nstep 10\nout of memory\n```", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_long_notebook_shows_its_end_from_a_whole_line()
    {
        var notebook = new Notebook(Path.Combine(_root, "notebook.md"));
        for (var i = 0; i < 400; i++)
        {
            await notebook.AppendAsync("t", i, $"note number {i} " + new string('.', 20), CancellationToken.None);
        }

        var tail = await notebook.TailAsync(CancellationToken.None);

        Assert.StartsWith("(earlier notes cut)\n- (run t, experiment ", tail, StringComparison.Ordinal);
        Assert.EndsWith("note number 399 " + new string('.', 20) + "\n", tail, StringComparison.Ordinal);
        Assert.True(tail.Length <= Notebook.ShownCharacters + 40);
        Assert.Equal("", await new Notebook(Path.Combine(_root, "none.md")).TailAsync(CancellationToken.None));
    }

    private static ExperimentRecord Record(int seq, ExperimentStatus? status, double? metric, string? description) => new()
    {
        Tag = "t",
        Seq = seq,
        Phase = status is null ? ExperimentPhase.Proposing : ExperimentPhase.Done,
        Status = status,
        Metric = metric,
        Description = description,
        ParentCommit = "abc1234",
        CandidateCommit = "def5678",
        Proposer = seq == 0 ? "baseline" : "llm",
        StartedAt = DateTimeOffset.UnixEpoch,
        Seed = 42,
    };
}
