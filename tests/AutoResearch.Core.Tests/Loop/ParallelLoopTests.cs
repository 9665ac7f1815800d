using AutoResearch.Core.Loop;
using AutoResearch.Core.Records;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Loop;

public sealed class ParallelLoopTests
{
    [Fact]
    public async Task Win_on_a_stale_parent_is_rebased_onto_the_new_best_and_confirmed_there()
    {
        // Score = X + Y. Experiment 1 lowers X and finishes at once; experiment 2, started beside it from the baseline, lowers
        // Y and runs for a second, by when experiment 1 is the best: it wins there too, so it is rebased and run again.
        using var noisy = new NoisyWorkspace(noise: 0);
        var plan = new[] { NoisyWorkspace.Set("X", 5), NoisyWorkspace.Set("Y", 4) + " && " + NoisyWorkspace.Set("SLEEP", 1) };
        var userHead = noisy.Repo.Git("rev-parse", "HEAD");

        var summary = await LoopHarness.RunAsync(noisy.Root, new PlanProposer(plan), new LoopOptions { Tag = "par", MaxExperiments = 2, Parallel = 2 });

        var (first, second) = (summary.Experiments[1], summary.Experiments[2]);
        Assert.Equal(ExperimentStatus.Keep, first.Status);
        Assert.Equal(15, first.Metric);
        Assert.Equal(ExperimentStatus.Keep, second.Status);
        Assert.Equal(first.CandidateCommit, second.ParentCommit);
        Assert.NotNull(second.RebasedFrom);
        Assert.NotEqual(second.RebasedFrom, second.CandidateCommit);
        Assert.Contains("rebased onto", second.Decision, StringComparison.Ordinal);
        // Measured again on the new best: both changes together, confirmed on a fresh seed (σ unknown).
        Assert.Equal(9, second.Metric);
        Assert.Equal([42, 43], second.Runs.Select(r => r.Seed));
        Assert.EndsWith("run-rebased-2.log", second.LogPath, StringComparison.Ordinal);
        Assert.True(File.Exists(second.LogPath));
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(second.LogPath)!, "run.log")), "the run on the stale parent keeps its log");
        Assert.Equal(9, summary.Best.Metric);
        Assert.Equal(["keep", "keep", "keep"], LoopHarness.Statuses(summary.Experiments));
        Assert.Equal([0, 1, 2], summary.Experiments.Select(e => e.Seq));
        Assert.NotEqual(first.Slot, second.Slot);

        // One branch: baseline, then 1, then 2 rebased on it.
        Assert.Equal(new[] { first.CandidateCommit!, second.CandidateCommit! }, noisy.Repo.Git("rev-list", "--reverse", $"{userHead}..autoresearch/par").Split('\n'));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(noisy.Root, "results.tsv")).Length - 1);
    }

    [Fact]
    public async Task Win_on_a_stale_parent_that_conflicts_with_the_new_best_is_discarded()
    {
        using var noisy = new NoisyWorkspace(noise: 0);
        var plan = new[] { NoisyWorkspace.Set("X", 5), NoisyWorkspace.Set("X", 3) + " && " + NoisyWorkspace.Set("SLEEP", 1) };

        var summary = await LoopHarness.RunAsync(noisy.Root, new PlanProposer(plan), new LoopOptions { Tag = "c", MaxExperiments = 2, Parallel = 2 });

        var second = summary.Experiments[2];
        Assert.Equal(ExperimentStatus.Discard, second.Status);
        Assert.Contains("conflicts", second.Decision, StringComparison.Ordinal);
        Assert.Equal(15, summary.Best.Metric);
    }

    [Fact]
    public async Task What_setup_prepared_in_the_first_worktree_is_in_every_slot()
    {
        // setup writes git-ignored data into the first slot's worktree; each run needs it (the command fails without it).
        using var noisy = new NoisyWorkspace(noise: 0);
        File.WriteAllText(Path.Combine(noisy.Root, ".gitignore"), "data/\n");
        var toml = Path.Combine(noisy.Root, "autoresearch.toml");
        File.WriteAllText(toml, File.ReadAllText(toml).Replace(
            "command = \"bash experiment.sh\"",
            "command = \"test -s data/prepared.bin && bash experiment.sh\"\nsetup = \"mkdir -p data && echo prepared > data/prepared.bin\"",
            StringComparison.Ordinal));
        noisy.Repo.Git("add", "-A");
        noisy.Repo.Git("commit", "-qm", "setup prepares data");
        var plan = new[] { NoisyWorkspace.Set("X", 5) + " && " + NoisyWorkspace.Set("SLEEP", 1), NoisyWorkspace.Set("Y", 4) + " && " + NoisyWorkspace.Set("SLEEP", 1) };

        var summary = await LoopHarness.RunAsync(noisy.Root, new PlanProposer(plan), new LoopOptions { Tag = "prep", MaxExperiments = 2, Parallel = 2 });

        Assert.DoesNotContain(summary.Experiments, e => e.Status == ExperimentStatus.Crash);
        Assert.Equal(2, summary.Experiments.Where(e => !e.IsBaseline).Select(e => e.Slot).Distinct().Count());
    }

    [Fact]
    public async Task Many_slots_allocate_every_sequence_number_once_and_stop_at_the_limit()
    {
        using var noisy = new NoisyWorkspace(noise: 0);
        var plan = Enumerable.Range(1, 12).Select(i => NoisyWorkspace.Set("X", 10 - (i % 5))).ToArray();

        var summary = await LoopHarness.RunAsync(noisy.Root, new PlanProposer(plan), new LoopOptions { Tag = "m", MaxExperiments = 12, Parallel = 4 });

        Assert.Equal(Enumerable.Range(0, 13), summary.Experiments.Select(e => e.Seq));
        Assert.All(summary.Experiments, e => Assert.Equal(ExperimentPhase.Done, e.Phase));
        Assert.Equal(4, summary.Experiments.Skip(1).Select(e => e.Slot).Distinct().Count());
        var tip = noisy.Repo.Git("rev-parse", "autoresearch/m");
        Assert.Equal(tip, summary.Best.CandidateCommit);
        // Every keep moved the one branch, in the order decided; nothing else did.
        var kept = summary.Experiments.Where(e => e.Seq > 0 && e.Status == ExperimentStatus.Keep).OrderBy(e => e.FinishedAt).Select(e => e.CandidateCommit!);
        Assert.Equal(kept, noisy.Repo.Git("rev-list", "--reverse", $"{summary.Baseline.CandidateCommit}..autoresearch/m").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(13, File.ReadAllLines(Path.Combine(noisy.Root, "results.tsv")).Length - 1);
    }

    [Fact]
    public async Task Each_slot_runs_pinned_to_its_share_of_the_cores_and_is_told_its_thread_count()
    {
        using var repo = new TempGitRepo(new Dictionary<string, string>
        {
            ["autoresearch.toml"] = "[objective]\nmetric = \"score\"\ndirection = \"minimize\"\n[run]\ncommand = \"bash experiment.sh\"\n[scope]\neditable = [\"knobs.sh\"]\n",
            ["experiment.sh"] = "source ./knobs.sh\necho ---\necho \"threads: ${AUTORESEARCH_THREADS:-0}\"\necho \"cpus: $(nproc)\"\necho \"score: $X\"\n",
            ["knobs.sh"] = "X=10\n",
        });
        var plan = Enumerable.Range(1, 4).Select(i => NoisyWorkspace.Set("X", 10 + i)).ToArray();

        var summary = await LoopHarness.RunAsync(repo.Root, new PlanProposer(plan), new LoopOptions { Tag = "cpu", MaxExperiments = 4, Parallel = 2 });

        var share = Math.Max(1, Environment.ProcessorCount / 2);
        Assert.All(summary.Experiments, e => Assert.Equal(share, e.Metrics["threads"]));
        Assert.All(summary.Experiments, e => Assert.Equal(share, e.Metrics["cpus"]));
    }
}
