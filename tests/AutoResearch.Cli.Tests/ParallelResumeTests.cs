using System.Globalization;
using AutoResearch.Cli.Tests.Support;
using AutoResearch.Core.Records;
using AutoResearch.Tests.Support;

namespace AutoResearch.Cli.Tests;

public sealed class ParallelResumeTests
{
    [Fact]
    public async Task Kill_9_with_two_slots_running_then_run_again_resumes_with_no_lost_or_duplicated_rows()
    {
        using var toy = new ToyWorkspace(x: 1000);
        var marker = (500000 + Random.Shared.Next(99999)).ToString(CultureInfo.InvariantCulture);
        var fastFlag = Path.Combine(toy.Scratch, "fast");
        // Each experiment lowers X by its id and runs slowly until the flag exists.
        var agent = $"x=$((1000 - AUTORESEARCH_EXPERIMENT)); sed -i \"s/^X=.*/X=$x/; s/^MODE=.*/MODE=slow/; s/^HANG=.*/HANG={marker}/\" knobs.sh; " +
            $"grep -q FAST_FLAG knobs.sh || echo 'FAST_FLAG={fastFlag}' >> knobs.sh; echo \"X to $x\"";
        var userHead = toy.Repo.Git("rev-parse", "HEAD");
        string[] args = ["run", toy.Root, "--agent", "cli", "--agent-command", agent, "--max-experiments", "6", "--parallel", "2", "--tag", "r", "--plain"];

        var log1 = Path.Combine(toy.Scratch, "session1.log");
        using (var harness = CliRunner.Start(log1, args))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (Processes.WithArgument(marker).Count < 2)
            {
                // Two slots, each in a `sleep` that carries the marker.
                Assert.True(DateTime.UtcNow < deadline, "both slots never ran at once");
                Assert.False(harness.HasExited, File.Exists(log1) ? File.ReadAllText(log1) : "");
                await Task.Delay(50);
            }

            harness.Kill(entireProcessTree: false);
            await harness.WaitForExitAsync();
        }

        File.WriteAllText(fastFlag, "");
        var log2 = Path.Combine(toy.Scratch, "session2.log");
        using (var resumed = CliRunner.Start(log2, args))
        {
            Assert.True(resumed.WaitForExit(TimeSpan.FromSeconds(60)), "the resumed run did not finish");
            Assert.True(resumed.ExitCode == 0, File.ReadAllText(log2));
        }

        using var ledger = Ledger.Open(Path.Combine(toy.Root, ".autoresearch", "ledger.db"));
        var experiments = ledger.Experiments("r");
        Assert.Equal(Enumerable.Range(0, 7), experiments.Select(e => e.Seq));
        Assert.All(experiments, e => Assert.Equal(ExperimentPhase.Done, e.Phase));
        Assert.Contains(experiments, e => e.Attempts >= 2);
        var kept = experiments.Where(e => e.Seq > 0 && e.Status == ExperimentStatus.Keep).OrderBy(e => e.FinishedAt).Select(e => e.CandidateCommit!).ToArray();
        Assert.NotEmpty(kept);
        Assert.Equal(kept, toy.Repo.Git("rev-list", "--reverse", $"{userHead}..autoresearch/r").Split('\n'));
        var worktree = Path.Combine(toy.Root, ".autoresearch", "worktrees", "r");
        Assert.Equal("", TempGitRepo.Run(worktree, "status", "--porcelain"));
        Assert.Equal("", toy.Repo.Git("status", "--porcelain"));
        Assert.Empty(Processes.WithArgument(marker));
        Assert.Equal(8, File.ReadAllLines(Path.Combine(toy.Root, "results.tsv")).Length);
    }
}
