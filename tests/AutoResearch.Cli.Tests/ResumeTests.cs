using System.Globalization;
using AutoResearch.Cli.Tests.Support;
using AutoResearch.Core.Records;
using AutoResearch.Tests.Support;

namespace AutoResearch.Cli.Tests;

public sealed class ResumeTests
{
    [Fact]
    public async Task Kill_9_while_proposing_and_while_running_then_run_again_resumes_without_loss_or_duplicates()
    {
        using var toy = new ToyWorkspace(x: 10);
        var agentSleep = (800000 + Random.Shared.Next(99999)).ToString(CultureInfo.InvariantCulture);
        var runSleep = (700000 + Random.Shared.Next(99999)).ToString(CultureInfo.InvariantCulture);
        var fastFlag = Path.Combine(toy.Scratch, "fast");
        toy.Plan(
            $"sleep {agentSleep}",
            ToyWorkspace.SetX(8),
            ToyWorkspace.SetMode("slow", x: 5) + $"; printf 'FAST_FLAG={fastFlag}\\nHANG={runSleep}\\n' >> knobs.sh",
            ToyWorkspace.SetX(4),
            ToyWorkspace.SetX(3));
        var userHead = toy.Repo.Git("rev-parse", "HEAD");
        string[] args = ["run", toy.Root, "--agent", "cli", "--agent-command", toy.AgentCommand, "--max-experiments", "4", "--tag", "r", "--plain"];

        // Session 1: killed while the agent works on experiment 1.
        await KillWhenRunningAsync(args, agentSleep, Path.Combine(toy.Scratch, "session1.log"));
        // Session 2: resumes, keeps experiment 1, killed while experiment 2 runs.
        await KillWhenRunningAsync(args, runSleep, Path.Combine(toy.Scratch, "session2.log"));
        File.WriteAllText(fastFlag, "");

        // Session 3: runs to the end.
        var log3 = Path.Combine(toy.Scratch, "session3.log");
        using (var last = CliRunner.Start(log3, args))
        {
            Assert.True(last.WaitForExit(TimeSpan.FromSeconds(60)), "the resumed run did not finish");
            Assert.True(last.ExitCode == 0, File.ReadAllText(log3));
        }

        using var ledger = Ledger.Open(Path.Combine(toy.Root, ".autoresearch", "ledger.db"));
        var experiments = ledger.Experiments("r");
        Assert.Equal([0, 1, 2, 3, 4], experiments.Select(e => e.Seq));
        Assert.All(experiments, e => Assert.Equal(ExperimentStatus.Keep, e.Status));
        Assert.Equal([10, 8, 5, 4, 3], experiments.Select(e => e.Metric!.Value));
        // Killed once, run again, then confirmed on a fresh seed (σ unknown: one baseline run).
        Assert.Equal(3, experiments[2].Attempts);

        // The branch tip is the last keep; the chain of kept commits is exactly the ledger's.
        var kept = experiments.Skip(1).Select(e => e.CandidateCommit).ToArray();
        Assert.Equal(kept, toy.Repo.Git("rev-list", "--reverse", $"{userHead}..autoresearch/r").Split('\n'));

        // No half-applied patch: the worktree is clean at the tip, the user's checkout untouched.
        var worktree = Path.Combine(toy.Root, ".autoresearch", "worktrees", "r");
        Assert.Equal("", TempGitRepo.Run(worktree, "status", "--porcelain"));
        Assert.Equal(kept[^1], TempGitRepo.Run(worktree, "rev-parse", "HEAD"));
        Assert.Equal(userHead, toy.Repo.Git("rev-parse", "HEAD"));
        Assert.Equal("", toy.Repo.Git("status", "--porcelain"));

        // Processes left by the killed sessions were ended on resume.
        Assert.Empty(Processes.WithArgument(agentSleep));
        Assert.Empty(Processes.WithArgument(runSleep));
        Assert.Equal(6, File.ReadAllLines(Path.Combine(toy.Root, "results.tsv")).Length);
    }

    private static string ReadIfAny(string path) => File.Exists(path) ? File.ReadAllText(path) : "(no log yet)";

    private static async Task KillWhenRunningAsync(string[] args, string marker, string logPath)
    {
        using var harness = CliRunner.Start(logPath, args);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Processes.WithArgument(marker).Count == 0)
        {
            // The messages are built on every pass, before the harness may have created its log.
            Assert.True(DateTime.UtcNow < deadline, $"never reached the sleep {marker}: {ReadIfAny(logPath)}");
            Assert.False(harness.HasExited, $"the harness exited early: {ReadIfAny(logPath)}");
            await Task.Delay(50);
        }

        harness.Kill(entireProcessTree: false);
        await harness.WaitForExitAsync();
        // The experiment's own process group outlives a kill -9 of the harness; resume must end it.
        Assert.NotEmpty(Processes.WithArgument(marker));
    }
}
