using System.Globalization;
using AutoResearch.Core.Records;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Loop;

public sealed class ResearchLoopTests
{
    [Fact]
    public async Task Scripted_agent_keeps_only_strict_improvements_and_kept_rows_equal_branch_commits()
    {
        using var toy = new ToyWorkspace(x: 10);
        // X=8.0 ties with the best (X=8): a different file, the same score, not a strict improvement.
        toy.Plan(ToyWorkspace.SetX(8), ToyWorkspace.SetX(9), "sed -i 's/^X=.*/X=8.0/' knobs.sh; echo tie", ToyWorkspace.SetX(3), ToyWorkspace.SetX(3.5));
        var userHead = toy.Repo.Git("rev-parse", "HEAD");

        var summary = await LoopHarness.RunAsync(toy, maxExperiments: 5);

        var experiments = LoopHarness.Experiments(toy);
        Assert.Equal(["keep", "keep", "discard", "discard", "keep", "discard"], LoopHarness.Statuses(experiments));
        Assert.Equal([10, 8, 9, 8, 3, 3.5], experiments.Select(e => e.Metric!.Value));
        Assert.Equal(3, summary.Best.Metric);

        var kept = experiments.Where(e => e.Status == ExperimentStatus.Keep && !e.IsBaseline).Select(e => e.CandidateCommit).ToArray();
        var onBranch = toy.Repo.Git("rev-list", "--reverse", $"{userHead}..autoresearch/t1").Split('\n');
        Assert.Equal(kept, onBranch);

        // The user's checkout is untouched: same commit, same file, clean.
        Assert.Equal(userHead, toy.Repo.Git("rev-parse", "HEAD"));
        Assert.Contains("X=10", toy.Repo.Read("knobs.sh"), StringComparison.Ordinal);
        Assert.Equal("", toy.Repo.Git("status", "--porcelain", "--untracked-files=no"));

        var tsv = File.ReadAllLines(Path.Combine(toy.Root, "results.tsv"));
        Assert.Equal("commit\tscore\tmemory_gb\tstatus\tdescription", tsv[0]);
        Assert.Equal(7, tsv.Length);
        Assert.Equal($"{kept[0]![..7]}\t8.000000\t0.0\tkeep\tset X to 8", tsv[2]);
        Assert.EndsWith("\tbaseline", tsv[1], StringComparison.Ordinal);

        // The harness's files are excluded, so the tree stays clean for the next run.
        var exclude = File.ReadAllText(Path.Combine(toy.Root, ".git", "info", "exclude"));
        Assert.Contains("/.autoresearch/", exclude, StringComparison.Ordinal);
        Assert.Contains("/results.tsv", exclude, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_experiment_records_patch_curve_metrics_and_environment()
    {
        using var toy = new ToyWorkspace(x: 10);
        toy.Plan(ToyWorkspace.SetX(4) + "; echo \"experiment $AUTORESEARCH_EXPERIMENT\" > \"$AUTORESEARCH_DESCRIPTION\"");

        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        var e = LoopHarness.Experiments(toy)[1];
        Assert.Equal($"experiment {e.Id}", e.Description);
        Assert.Equal(42, e.Seed);
        Assert.Contains("-X=10", e.Patch, StringComparison.Ordinal);
        Assert.Contains("+X=4", e.Patch, StringComparison.Ordinal);
        Assert.Equal(["knobs.sh"], e.ChangedPaths);
        Assert.Equal(new[] { new Core.Running.CurvePoint(50, 4) }, e.Curve);
        Assert.Equal(12.5, e.Metrics["peak_memory_mb"]);
        Assert.Equal(12.5, e.PeakMemoryMb);
        Assert.Equal("cli", e.Proposer);
        Assert.True(File.Exists(e.LogPath));

        // The prompt carried the program, the rules, the best result and the history.
        var prompt = File.ReadAllText(Path.Combine(toy.Scratch, "prompt-1.md"));
        Assert.Contains("Lower the score.", prompt, StringComparison.Ordinal);
        Assert.Contains("`knobs.sh`", prompt, StringComparison.Ordinal);
        Assert.Contains("score = 10", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_that_edits_a_readonly_file_is_rejected_undone_and_never_run()
    {
        // Unsandboxed, so that the edit lands and the guard after the turn is what refuses it (in its sandbox the agent cannot
        // write the file at all: HostileAgentTests).
        using var toy = new ToyWorkspace(x: 10, extraToml: "sandbox = \"none\"\n");
        toy.Plan("echo 'echo score: 0' > experiment.sh; " + ToyWorkspace.SetX(1), ToyWorkspace.SetX(5));

        await LoopHarness.RunAsync(toy, maxExperiments: 2);

        var experiments = LoopHarness.Experiments(toy);
        var rejected = experiments[1];
        Assert.Equal(ExperimentStatus.Rejected, rejected.Status);
        Assert.Contains("experiment.sh", rejected.Error, StringComparison.Ordinal);
        Assert.Null(rejected.Metric);
        Assert.False(File.Exists(Path.Combine(toy.Root, ".autoresearch", "runs", rejected.Id.ToString(CultureInfo.InvariantCulture), "run.log")));
        Assert.Contains("echo score: 0", rejected.Patch, StringComparison.Ordinal);

        // Undone: the next experiment ran the original experiment.sh from the best commit.
        Assert.Equal(ExperimentStatus.Keep, experiments[2].Status);
        Assert.Equal(5, experiments[2].Metric);
        var worktree = Path.Combine(toy.Root, ".autoresearch", "worktrees", "t1");
        Assert.Equal(ToyWorkspace.Experiment.ReplaceLineEndings("\n"), File.ReadAllText(Path.Combine(worktree, "experiment.sh")));
    }

    [Fact]
    public async Task Run_that_changes_a_readonly_file_is_a_crash_and_is_undone()
    {
        using var toy = new ToyWorkspace(x: 10);
        toy.Plan(ToyWorkspace.SetMode("tamper", x: 1));

        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        var e = LoopHarness.Experiments(toy)[1];
        Assert.Equal(ExperimentStatus.Crash, e.Status);
        Assert.Contains("integrity", e.Error, StringComparison.Ordinal);
        Assert.Contains("experiment.sh", e.Error, StringComparison.Ordinal);
        var worktree = Path.Combine(toy.Root, ".autoresearch", "worktrees", "t1");
        Assert.Equal(ToyWorkspace.Experiment.ReplaceLineEndings("\n"), File.ReadAllText(Path.Combine(worktree, "experiment.sh")));
    }

    [Fact]
    public async Task Hanging_experiment_with_children_times_out_and_leaves_no_process()
    {
        using var toy = new ToyWorkspace(x: 10, timeoutSeconds: 2);
        var marker = 900000 + Random.Shared.Next(99999);
        toy.Plan(ToyWorkspace.SetMode("hang") + $"; sed -i 's/^HANG=.*/HANG={marker}/' knobs.sh");

        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        var e = LoopHarness.Experiments(toy)[1];
        Assert.Equal(ExperimentStatus.Timeout, e.Status);
        Assert.InRange(e.RunSeconds!.Value, 1.5, 15);
        Assert.Empty(Processes.WithArgument(marker.ToString(CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Agent_failure_and_no_change_are_recorded_and_the_loop_goes_on()
    {
        using var toy = new ToyWorkspace(x: 10);
        toy.Plan("echo 'agent broke'; exit 1", "echo 'thought about it'", ToyWorkspace.SetX(2), ToyWorkspace.SetMode("crash"));

        await LoopHarness.RunAsync(toy, maxExperiments: 4);

        var experiments = LoopHarness.Experiments(toy);
        Assert.Equal(["keep", "crash", "discard", "keep", "crash"], LoopHarness.Statuses(experiments));
        Assert.Contains("exited with code 1", experiments[1].Error, StringComparison.Ordinal);
        Assert.Equal("agent broke", experiments[1].Description);
        Assert.Contains("changed nothing", experiments[2].Error, StringComparison.Ordinal);
        Assert.Contains("exit code 3", experiments[4].Error, StringComparison.Ordinal);

        // The next prompt after a crash carries its log tail.
        toy.Plan(ToyWorkspace.SetX(1));
        File.Delete(Path.Combine(toy.Scratch, "counter"));
        await LoopHarness.RunAsync(toy, maxExperiments: 5);
        Assert.Contains("boom", File.ReadAllText(Path.Combine(toy.Scratch, "prompt-1.md")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_command_that_does_not_exist_stops_the_run_with_a_clear_message()
    {
        using var toy = new ToyWorkspace(x: 10);
        var proposer = new Core.Proposers.CliProposer("no-such-agent-xyz {prompt}", TimeSpan.FromSeconds(10));

        var error = await Assert.ThrowsAsync<ResearchException>(() => LoopHarness.RunAsync(toy, 3, proposer: proposer));

        Assert.Contains("not found", error.Message, StringComparison.Ordinal);
        Assert.Contains("no-such-agent-xyz", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Baseline_that_prints_no_metric_fails_the_run_with_the_fix_in_the_message()
    {
        using var toy = new ToyWorkspace(x: 10);
        toy.Repo.Write("knobs.sh", "X=1\nMODE=nometric\nHANG=1\n");
        toy.Repo.Git("commit", "-qam", "no metric");

        var error = await Assert.ThrowsAsync<ResearchException>(() => LoopHarness.RunAsync(toy, 3));

        Assert.Contains("no metric `score`", error.Message, StringComparison.Ordinal);
        Assert.Contains("finished without a score", error.Message, StringComparison.Ordinal);
        Assert.Contains("[objective] pattern", error.Message, StringComparison.Ordinal);
        Assert.Equal(["crash"], LoopHarness.Statuses(LoopHarness.Experiments(toy)));
    }

    [Fact]
    public async Task Uncommitted_changes_to_tracked_files_are_refused_by_name()
    {
        using var toy = new ToyWorkspace(x: 10);
        toy.Repo.Write("knobs.sh", "X=0\n");

        var error = await Assert.ThrowsAsync<WorkspaceException>(() => LoopHarness.RunAsync(toy, 1));

        Assert.Contains("uncommitted changes", error.Message, StringComparison.Ordinal);
        Assert.Contains("knobs.sh", error.Message, StringComparison.Ordinal);
        Assert.True(error.IsUsageError);
    }

    [Fact]
    public async Task A_second_run_of_the_same_tag_continues_it_and_a_new_tag_starts_from_head()
    {
        using var toy = new ToyWorkspace(x: 10);
        toy.Plan(ToyWorkspace.SetX(7), ToyWorkspace.SetX(6), ToyWorkspace.SetX(5));
        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        var summary = await LoopHarness.RunAsync(toy, maxExperiments: 2);

        Assert.Equal(3, summary.Experiments.Count);
        Assert.Equal(6, summary.Best.Metric);
        Assert.Equal([0, 1, 2], summary.Experiments.Select(e => e.Seq));

        var other = await LoopHarness.RunAsync(toy, maxExperiments: 1, tag: "t2");
        Assert.Equal(10, other.Baseline.Metric);
        Assert.Equal(5, other.Best.Metric);
    }

    [Fact]
    public async Task Default_tag_comes_from_the_date_and_is_made_unique()
    {
        using var toy = new ToyWorkspace(x: 10);
        toy.Plan(ToyWorkspace.SetX(7), ToyWorkspace.SetX(6));
        var first = await LoopHarness.RunAsync(toy, maxExperiments: 1, tag: null);
        var second = await LoopHarness.RunAsync(toy, maxExperiments: 1, tag: null);

        Assert.Matches("^[a-z]{3}[0-9]{2}$", first.Run.Tag);
        Assert.Equal(first.Run.Tag + "-2", second.Run.Tag);
    }

    [Fact]
    public async Task Time_limit_stops_starting_new_experiments()
    {
        using var toy = new ToyWorkspace(x: 10);
        toy.Plan(ToyWorkspace.SetX(7), ToyWorkspace.SetX(6));
        var workspace = await Core.Workspace.GitWorkspace.OpenAsync(toy.Root);
        var spec = Core.Spec.SpecLoader.Load(toy.Root);
        using var ledger = Ledger.Open(LoopHarness.LedgerPath(toy));
        var loop = new Core.Loop.ResearchLoop(
            spec, workspace, ledger, new Core.Proposers.CliProposer(toy.AgentCommand, TimeSpan.FromSeconds(30)), new Core.Running.ExperimentRunner(spec));

        var summary = await loop.RunAsync(new Core.Loop.LoopOptions { Tag = "h", Duration = TimeSpan.FromMilliseconds(1) });

        Assert.Equal("reached --hours 0", summary.StopReason);
        Assert.Single(summary.Experiments);
        Assert.NotNull(summary.Run.FinishedAt);
    }

    [Fact]
    public async Task An_editable_glob_that_matches_nothing_is_refused_before_anything_runs()
    {
        using var repo = new TempGitRepo(new Dictionary<string, string>
        {
            ["autoresearch.toml"] = "[objective]\nmetric = \"score\"\ndirection = \"minimize\"\n[run]\ncommand = \"echo score: 1\"\n[scope]\neditable = [\"knobs.sh\", \"trian.py\", \"src/**/*.py\"]\n",
            ["knobs.sh"] = "X=1\n",
        });

        var error = await Assert.ThrowsAsync<SpecException>(() =>
            LoopHarness.RunAsync(repo.Root, new PlanProposer(), new Core.Loop.LoopOptions { Tag = "g", MaxExperiments = 1 }));

        Assert.Equal(2, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.Contains("editable glob \"trian.py\" matches no file", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("\"src/**/*.py\"", StringComparison.Ordinal));
        Assert.Equal("", repo.Git("branch", "--list", "autoresearch/*").Trim());
        var ledgerPath = Path.Combine(repo.Root, ".autoresearch", "ledger.db");
        if (File.Exists(ledgerPath))
        {
            using var ledger = Ledger.Open(ledgerPath);
            Assert.Null(ledger.GetRun("g"));
        }
    }
}
