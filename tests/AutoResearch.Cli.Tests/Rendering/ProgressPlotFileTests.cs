using AutoResearch.Cli.Rendering;
using AutoResearch.Cli.Tests.Support;
using AutoResearch.Core.Records;
using AutoResearch.Core.Workspace;
using AutoResearch.Tests.Support;

namespace AutoResearch.Cli.Tests.Rendering;

public sealed class ProgressPlotFileTests
{
    [Fact]
    public async Task Progress_png_is_rewritten_after_each_experiment()
    {
        using var repo = new TempGitRepo(new Dictionary<string, string> { ["a.txt"] = "a\n" });
        var workspace = await GitWorkspace.OpenAsync(repo.Root);
        using var ledger = Ledger.Open(Path.Combine(workspace.StateDirectory, "ledger.db"));
        var run = new RunRecord("t", "autoresearch/t", "abc1234", "score", "minimize", DateTimeOffset.UnixEpoch, null);
        ledger.CreateRun(run);
        var notices = new List<string>();
        var plot = await ProgressPlotFile.CreateAsync(workspace, ledger, CostMeasure.Time, notices.Add, CancellationToken.None);
        plot.OnRunStarted(run, resumed: false, repo.Root);

        var baseline = ledger.Insert(Done(0, 5.0));
        plot.OnExperimentFinished(baseline, baseline);
        var first = await File.ReadAllBytesAsync(Path.Combine(repo.Root, "progress.png"));
        var proposal = ledger.Insert(Done(1, 4.0));
        plot.OnExperimentFinished(proposal, proposal);
        var second = await File.ReadAllBytesAsync(Path.Combine(repo.Root, "progress.png"));

        Assert.Equal(Path.Combine(repo.Root, "progress.png"), plot.Path);
        Assert.Equal((byte)0x89, first[0]);
        Assert.NotEqual(first, second);
        Assert.Empty(notices);
    }

    [Fact]
    public async Task A_progress_png_the_repository_tracks_is_left_alone_and_the_chart_goes_to_the_state_folder()
    {
        using var repo = new TempGitRepo(new Dictionary<string, string> { ["progress.png"] = "the author's own chart\n" });
        var workspace = await GitWorkspace.OpenAsync(repo.Root);
        using var ledger = Ledger.Open(Path.Combine(workspace.StateDirectory, "ledger.db"));
        var notices = new List<string>();

        var plot = await ProgressPlotFile.CreateAsync(workspace, ledger, CostMeasure.Time, notices.Add, CancellationToken.None);

        Assert.Equal(Path.Combine(workspace.StateDirectory, "progress.png"), plot.Path);
        Assert.Contains(notices, n => n.Contains("tracks its own progress.png", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_writes_progress_png_in_the_workspace_which_git_ignores_and_no_proposal_contains()
    {
        var dir = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "plot-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Assert.Equal(0, (await CliRunner.RunAsync("init", dir)).ExitCode);

            var (code, output) = await CliRunner.RunAsync("run", dir, "--max-experiments", "3", "--plain", "--tag", "p");

            Assert.True(code == 0, output);
            Assert.True(File.Exists(Path.Combine(dir, "progress.png")), output);
            Assert.Equal("", TempGitRepo.Run(dir, "status", "--porcelain"));
            using var ledger = Ledger.Open(Path.Combine(dir, ".autoresearch", "ledger.db"));
            var experiments = ledger.Experiments("p");
            Assert.Equal(4, experiments.Count);
            Assert.All(experiments, e => Assert.DoesNotContain("progress.png", e.Patch ?? "", StringComparison.Ordinal));
            Assert.All(experiments, e => Assert.DoesNotContain("progress.png", e.ChangedPaths));
            Assert.Contains("progress.png", TempGitRepo.Run(dir, "ls-files", "--others", "--ignored", "--exclude-standard"), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static ExperimentRecord Done(int seq, double metric) => new()
    {
        Tag = "t",
        Seq = seq,
        Phase = ExperimentPhase.Done,
        Status = ExperimentStatus.Keep,
        ParentCommit = "abc1234",
        CandidateCommit = seq == 0 ? "abc1234" : "def5678",
        Proposer = seq == 0 ? "baseline" : "search",
        Description = seq == 0 ? "baseline" : "X 5 -> 4",
        Metric = metric,
        StartedAt = DateTimeOffset.UnixEpoch.AddMinutes(seq),
        Seed = 42,
    };
}
