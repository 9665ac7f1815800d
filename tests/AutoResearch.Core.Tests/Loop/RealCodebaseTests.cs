using AutoResearch.Core.Loop;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Loop;

/// <summary>
/// The traps a real training repository sets (issue 18): runs that leave checkpoints in the worktree, data that is not
/// committed, binary files in a proposal, a seed the code ignores, and logs of repeated runs.
/// </summary>
public sealed class RealCodebaseTests
{
    /// <summary>
    /// Prints <c>score: X</c> from knobs.sh (minus LUCK on seed 42, plus SPREAD times the seed's remainder mod 3) and, like a
    /// training script, leaves its products behind: a binary checkpoint under out/ (not ignored), a log under logs/ (ignored
    /// by the repository's .gitignore) and a Python bytecode cache.
    /// </summary>
    private const string Experiment = """
        #!/usr/bin/env bash
        source ./knobs.sh
        mkdir -p out logs __pycache__
        head -c 4096 /dev/urandom > out/ckpt.bin
        echo "trained with seed ${1:-none}" > logs/train.log
        printf '\x00\x01' > __pycache__/model.cpython-312.pyc
        echo "seed argument ${1:-none}, AUTORESEARCH_SEED $AUTORESEARCH_SEED"
        awk -v x="$X" -v seed="$AUTORESEARCH_SEED" -v luck="$LUCK" -v spread="$SPREAD" \
            'BEGIN { printf "score: %.6f\n", x - (seed == 42 ? luck : 0) + spread * (seed % 3) }'
        """;

    [Fact]
    public async Task What_runs_leave_behind_never_enters_the_next_proposal()
    {
        // The trap: the baseline writes out/ckpt.bin (untracked), logs/train.log (ignored) and __pycache__; each keep left the
        // worktree as its run had made it, so the next proposal's commit swept the checkpoint in and was rejected for it.
        using var repo = Workspace();
        var plan = new[] { Set("X", 9), Set("X", 8), Set("X", 7) };

        var summary = await RunAsync(repo, new PlanProposer(plan), 3);

        var proposals = summary.Experiments.Skip(1).ToList();
        Assert.Equal(["keep", "keep", "keep"], LoopHarness.Statuses(proposals));
        Assert.All(proposals, e => Assert.Equal(["knobs.sh"], e.ChangedPaths));
        Assert.All(proposals, e => Assert.Equal("knobs.sh", repo.Git("diff-tree", "--no-commit-id", "--name-only", "-r", e.CandidateCommit!)));
        Assert.All(proposals, e => Assert.DoesNotContain("ckpt", e.Patch, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_agents_own_trial_run_is_left_out_of_its_proposal_by_run_outputs()
    {
        // A coding agent that tries its change by running the experiment: what that run writes under out-trial/ matches
        // [run] outputs and is deleted before the commit; the edit itself is the proposal.
        using var repo = Workspace("outputs = [\"out*/**\"]");
        var plan = new[] { Set("X", 9) + " && bash experiment.sh > /dev/null && mkdir -p out-trial && cp out/ckpt.bin out-trial/" };
        var observer = new Messages();

        var summary = await RunAsync(repo, new PlanProposer(plan), 1, observer);

        var e = summary.Experiments[1];
        Assert.Equal(ExperimentStatus.Keep, e.Status);
        Assert.Equal(["knobs.sh"], e.ChangedPaths);
        Assert.Contains(observer.All, m => m.Contains("left out of the proposal as run outputs", StringComparison.Ordinal)
            && m.Contains("out-trial/ckpt.bin", StringComparison.Ordinal) && m.Contains("out/ckpt.bin", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_proposal_with_binary_files_is_refused_with_the_reason_and_the_ledger_keeps_no_bytes()
    {
        // Everything is editable and no [run] outputs are named, so the agent's checkpoint is part of its change: refused, and
        // recorded without its bytes.
        using var repo = Workspace(editable: "[\"**/*\"]");
        var plan = new[] { Set("X", 9) + " && mkdir -p out && head -c 200000 /dev/urandom > out/weights.bin" };

        var summary = await RunAsync(repo, new PlanProposer(plan), 1);

        var e = summary.Experiments[1];
        Assert.Equal(ExperimentStatus.Rejected, e.Status);
        Assert.Contains("binary files: out/weights.bin", e.Error, StringComparison.Ordinal);
        Assert.Contains("+X=9", e.Patch, StringComparison.Ordinal);
        Assert.Contains("Binary files /dev/null and b/out/weights.bin differ", e.Patch, StringComparison.Ordinal);
        Assert.DoesNotContain("GIT binary patch", e.Patch, StringComparison.Ordinal);
        Assert.True(e.Patch!.Length < 2000, e.Patch);
        var ledgerBytes = new DirectoryInfo(Path.Combine(repo.Root, ".autoresearch")).EnumerateFiles("ledger.db*").Sum(f => f.Length);
        Assert.True(ledgerBytes < 150_000, $"the ledger holds {ledgerBytes} bytes: the checkpoint went in");
        Assert.Equal("X=10", repo.Git("show", $"{summary.Best.CandidateCommit}:knobs.sh").Split('\n')[0]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Data_the_runs_need_but_that_is_not_committed_is_named_at_start_and_when_the_baseline_fails(bool ignored)
    {
        using var repo = Workspace(command: "test -f data/train.bin || { echo 'no such file: data/train.bin' >&2; exit 1; }; bash experiment.sh");
        if (ignored)
        {
            repo.Write(".gitignore", "logs/\n*.bin\n");
            repo.Git("commit", "-qam", "ignore data");
        }

        // As in nanoGPT: the folder's preparation script is committed, the data it wrote by hand is not.
        repo.Write("data/prepare.sh", "head -c 3000 /dev/zero > data/train.bin\n");
        repo.Git("add", "data/prepare.sh");
        repo.Git("commit", "-qm", "prepare");
        File.WriteAllBytes(Path.Combine(repo.Root, "data", "train.bin"), new byte[3000]);
        var observer = new Messages();

        var error = await Assert.ThrowsAsync<ResearchException>(() => RunAsync(repo, new PlanProposer(), 1, observer));

        var notice = Assert.Single(observer.All, m => m.StartsWith("workspace files not committed", StringComparison.Ordinal));
        Assert.Contains("data/train.bin (2.9 kB)", notice, StringComparison.Ordinal);
        Assert.Contains("commit them (`git add -f data/train.bin && git commit`)", notice, StringComparison.Ordinal);
        Assert.Contains("[run] setup", notice, StringComparison.Ordinal);
        Assert.Contains("the baseline failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("data/train.bin (2.9 kB)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ignored_data_named_as_read_only_input_is_in_every_run_and_put_back_after_a_run_that_changed_it()
    {
        // nanoGPT's layout: data/*.bin prepared by hand and ignored by .gitignore; the runs read it from the worktree.
        using var repo = Workspace("inputs = [\"data/*.bin\"]", command: "test -f data/train.bin || exit 7; bash experiment.sh");
        repo.Write(".gitignore", "logs/\n*.bin\n");
        repo.Git("commit", "-qam", "ignore data");
        var data = repo.Write("data/train.bin", new string('a', 3000));
        var plan = new[] { Set("X", 9), "echo 'echo tampered >> data/train.bin' >> knobs.sh", Set("X", 8) };
        var observer = new Messages();

        var summary = await RunAsync(repo, new PlanProposer(plan), 3, observer);

        Assert.Equal(["keep", "keep", "crash", "keep"], LoopHarness.Statuses(summary.Experiments));
        Assert.Contains("data/train.bin", summary.Experiments[2].Error, StringComparison.Ordinal);
        Assert.Equal(new string('a', 3000), File.ReadAllText(data));
        Assert.DoesNotContain(observer.All, m => m.Contains("not committed", StringComparison.Ordinal));
        Assert.All(summary.Experiments.Skip(1), e => Assert.DoesNotContain("train.bin", string.Join(" ", e.ChangedPaths), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("data/*.bin", "matches data/train.bin, which git does not ignore")]
    [InlineData("data/*.npy", "matches no git-ignored file")]
    public async Task A_read_only_input_that_git_would_commit_or_that_matches_nothing_is_refused_before_anything_is_made(string glob, string expected)
    {
        using var repo = Workspace($"inputs = [\"{glob}\"]");
        repo.Write("data/train.bin", "not ignored");

        var error = await Assert.ThrowsAsync<SpecException>(() => RunAsync(repo, new PlanProposer(), 1));

        Assert.Contains($"[run] inputs \"{glob}\" {expected}", error.Message, StringComparison.Ordinal);
        Assert.Equal("", repo.Git("branch", "--list", "autoresearch/*"));
    }

    [Fact]
    public async Task Run_products_and_committed_files_are_not_reported_as_missing_data()
    {
        using var repo = Workspace("outputs = [\"out*/**\"]");
        Directory.CreateDirectory(Path.Combine(repo.Root, "out-old"));
        File.WriteAllText(Path.Combine(repo.Root, "out-old", "ckpt.pt"), "old checkpoint");
        Directory.CreateDirectory(Path.Combine(repo.Root, "__pycache__"));
        File.WriteAllText(Path.Combine(repo.Root, "__pycache__", "x.pyc"), "");
        var observer = new Messages();

        await RunAsync(repo, new PlanProposer(), 0, observer);

        Assert.DoesNotContain(observer.All, m => m.Contains("not committed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Seed_placeholder_in_the_command_is_the_seed_of_each_run()
    {
        // SPREAD 1 adds seed mod 3: seeds 42, 43, 44 score 10, 11, 12 only if each run gets its own seed.
        using var repo = Workspace(command: "bash experiment.sh {seed}", acceptance: "baseline_repeats = 3");
        repo.Write("knobs.sh", "X=10\nLUCK=0\nSPREAD=1\n");
        repo.Git("commit", "-qam", "spread");
        var observer = new Messages();

        var summary = await RunAsync(repo, new PlanProposer(), 0, observer);

        Assert.Equal([42, 43, 44], summary.Baseline.Runs.Select(r => r.Seed));
        Assert.Equal([10.0, 11, 12], summary.Baseline.Runs.Select(r => r.Value));
        var log = File.ReadAllText(summary.Baseline.LogPath!);
        Assert.Contains("seed argument 44, AUTORESEARCH_SEED 44", log, StringComparison.Ordinal);
        Assert.True(summary.Baseline.Sigma > 0);
        Assert.DoesNotContain(observer.All, m => m.Contains("ignores the seed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Identical_baseline_repeats_warn_that_the_code_ignores_its_seed()
    {
        using var repo = Workspace(acceptance: "baseline_repeats = 3");
        var observer = new Messages();

        var summary = await RunAsync(repo, new PlanProposer(), 0, observer);

        Assert.Equal(0, summary.Baseline.Sigma);
        var warning = Assert.Single(observer.All, m => m.StartsWith("warning: ", StringComparison.Ordinal));
        Assert.Contains("runs (seeds 42, 43, 44) gave the same score (10) to the last digit", warning, StringComparison.Ordinal);
        Assert.Contains("ignores the seed", warning, StringComparison.Ordinal);
        Assert.Contains("{seed}", warning, StringComparison.Ordinal);
        Assert.Contains("AUTORESEARCH_SEED", warning, StringComparison.Ordinal);
        Assert.Contains("every apparent win is confirmed on a fresh seed", warning, StringComparison.Ordinal);
        // The ledger keeps it with the baseline's decision, for `log` and `show`.
        using var ledger = Ledger.Open(Path.Combine(repo.Root, ".autoresearch", "ledger.db"));
        Assert.Contains("ignores the seed", ledger.Experiments("t")[0].Decision, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "noise σ unknown (no repeated runs)")]
    [InlineData("baseline_repeats = 2", "noise σ 0 (repeated runs were identical)")]
    public async Task With_noise_unmeasured_every_win_is_confirmed_on_a_fresh_seed_and_a_lucky_one_is_not_kept(string acceptance, string why)
    {
        // Experiment 1 is really better (X 10 -> 9); experiment 2 is better only on seed 42 (LUCK), the seed every first run gets.
        using var repo = Workspace(acceptance: acceptance);
        var observer = new Messages();

        var summary = await RunAsync(repo, new PlanProposer(Set("X", 9), Set("LUCK", 3)), 2, observer);

        var (real, lucky) = (summary.Experiments[1], summary.Experiments[2]);
        Assert.Equal(ExperimentStatus.Keep, real.Status);
        Assert.Equal([42, 43], real.Runs.Select(r => r.Seed));
        Assert.StartsWith("confirmed", real.Decision, StringComparison.Ordinal);
        Assert.Equal(ExperimentStatus.Discard, lucky.Status);
        Assert.Equal([6.0, 9], lucky.Runs.Select(r => r.Value));
        Assert.StartsWith("not confirmed", lucky.Decision, StringComparison.Ordinal);
        Assert.Contains(observer.All, m => m == $"experiment 2: apparent win (+3.000000 vs threshold 0.000000) with {why}: confirming with a fresh seed");
        Assert.Equal(9, summary.Best.Metric);
    }

    [Fact]
    public async Task Every_log_the_ledger_records_exists_and_holds_its_own_run()
    {
        // A confirmed win runs twice: the ledger names run-2.log, which must be that run's log, beside run.log.
        using var repo = Workspace(command: "bash experiment.sh {seed}", acceptance: "baseline_repeats = 2");
        var summary = await RunAsync(repo, new PlanProposer(Set("X", 9)), 1);

        Assert.All(summary.Experiments, e => Assert.True(File.Exists(e.LogPath), $"experiment {e.Seq} records {e.LogPath}, which does not exist"));
        var confirmed = summary.Experiments[1];
        Assert.EndsWith("run-2.log", confirmed.LogPath, StringComparison.Ordinal);
        Assert.Contains("seed argument 43", File.ReadAllText(confirmed.LogPath!), StringComparison.Ordinal);
        var first = Path.Combine(Path.GetDirectoryName(confirmed.LogPath)!, "run.log");
        Assert.Contains("seed argument 42", File.ReadAllText(first), StringComparison.Ordinal);
        Assert.Contains("seed argument 43", File.ReadAllText(summary.Baseline.LogPath!), StringComparison.Ordinal);
    }

    private static TempGitRepo Workspace(string run = "", string command = "bash experiment.sh", string acceptance = "", string editable = "[\"knobs.sh\"]") =>
        new(new Dictionary<string, string>
        {
            ["autoresearch.toml"] = $"""
                [objective]
                metric = "score"
                direction = "minimize"

                [run]
                command = "{command.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}"
                timeout_seconds = 30
                {run}

                [scope]
                editable = {editable}

                [acceptance]
                {acceptance}
                """,
            [".gitignore"] = "logs/\n",
            ["experiment.sh"] = Experiment,
            ["knobs.sh"] = "X=10\nLUCK=0\nSPREAD=0\n",
        });

    private static string Set(string name, double value) => NoisyWorkspace.Set(name, value);

    private static Task<RunSummary> RunAsync(TempGitRepo repo, PlanProposer proposer, int experiments, IResearchObserver? observer = null) =>
        LoopHarness.RunAsync(repo.Root, proposer, new LoopOptions { Tag = "t", MaxExperiments = experiments }, observer: observer);

    /// <summary>Collects the loop's notices.</summary>
    private sealed class Messages : IResearchObserver
    {
        private readonly List<string> _all = [];

        public IReadOnlyList<string> All
        {
            get
            {
                lock (_all)
                {
                    return [.. _all];
                }
            }
        }

        public void OnMessage(string message)
        {
            lock (_all)
            {
                _all.Add(message);
            }
        }
    }
}
