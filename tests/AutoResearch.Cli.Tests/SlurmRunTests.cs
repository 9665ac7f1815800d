using System.Diagnostics;
using System.Globalization;
using AutoResearch.Cli.Tests.Support;
using AutoResearch.Core.Records;
using AutoResearch.Tests.Support;

namespace AutoResearch.Cli.Tests;

/// <summary>
/// <c>autoresearch run</c> with <c>[run] executor = "slurm"</c> end to end against the real scheduler test.sh starts: slots
/// are jobs side by side, and a harness killed with -9 mid-job leaves nothing behind once it is run again.
/// </summary>
public sealed class SlurmRunTests
{
    [SlurmFact]
    public async Task Two_slots_are_two_jobs_at_once_and_the_run_ends_with_no_job_left()
    {
        using var toy = new ToyWorkspace(x: 1000, runToml: "executor = \"slurm\"", extraToml: SlurmCluster.Toml());
        var fastFlag = Path.Combine(toy.Scratch, "fast");
        var agent = SlowAgent(fastFlag, "600");
        string[] args = ["run", toy.Root, "--agent", "cli", "--agent-command", agent, "--max-experiments", "4", "--parallel", "2", "--tag", "s", "--plain"];
        var prefix = SlurmCluster.Prefix(toy.Root);

        var log = Path.Combine(toy.Scratch, "session.log");
        using (var harness = CliRunner.Start(log, args))
        {
            await WaitForAsync(() => SlurmCluster.Jobs(prefix).Count(j => j.State == "RUNNING") >= 2, harness, log, "two jobs never ran at once");
            File.WriteAllText(fastFlag, "");
            Assert.True(harness.WaitForExit(TimeSpan.FromSeconds(90)), "the run did not finish: " + File.ReadAllText(log));
            Assert.True(harness.ExitCode == 0, File.ReadAllText(log));
        }

        using var ledger = Ledger.Open(Path.Combine(toy.Root, ".autoresearch", "ledger.db"));
        var experiments = ledger.Experiments("s");
        Assert.Equal(Enumerable.Range(0, 5), experiments.Select(e => e.Seq));
        Assert.All(experiments, e => Assert.Equal(ExperimentPhase.Done, e.Phase));
        Assert.Contains(experiments, e => e.Seq > 0 && e.Status == ExperimentStatus.Keep);
        Assert.Contains("[autoresearch] slurm job", File.ReadAllText(experiments[1].LogPath!), StringComparison.Ordinal);
        Assert.Empty(SlurmCluster.Jobs(prefix));
        Assert.Empty(ledger.MetaStartingWith("job:"));
    }

    [SlurmFact]
    public async Task Kill_9_of_the_harness_mid_job_then_run_again_cancels_the_orphan_and_runs_the_experiment_once_more()
    {
        using var toy = new ToyWorkspace(x: 1000, runToml: "executor = \"slurm\"", extraToml: SlurmCluster.Toml());
        var fastFlag = Path.Combine(toy.Scratch, "fast");
        var marker = (600000 + Random.Shared.Next(99999)).ToString(CultureInfo.InvariantCulture);
        string[] args = ["run", toy.Root, "--agent", "cli", "--agent-command", SlowAgent(fastFlag, marker), "--max-experiments", "2", "--tag", "k", "--plain"];
        var prefix = SlurmCluster.Prefix(toy.Root);

        string orphan;
        var log1 = Path.Combine(toy.Scratch, "session1.log");
        using (var harness = CliRunner.Start(log1, args))
        {
            // Experiment 1's job runs its `sleep MARKER`: the harness dies under it.
            await WaitForAsync(() => Processes.WithArgument(marker).Count > 0, harness, log1, "experiment 1's job never ran");
            orphan = Assert.Single(SlurmCluster.Jobs(prefix)).Id;
            harness.Kill(entireProcessTree: false);
            await harness.WaitForExitAsync();
        }

        // The job outlives its harness, and the ledger knows it.
        Assert.Equal("RUNNING", SlurmCluster.State(orphan));
        using (var ledger = Ledger.Open(Path.Combine(toy.Root, ".autoresearch", "ledger.db")))
        {
            Assert.Contains(ledger.MetaStartingWith("job:"), m => m.Value == orphan);
        }

        File.WriteAllText(fastFlag, "");
        var log2 = Path.Combine(toy.Scratch, "session2.log");
        using (var resumed = CliRunner.Start(log2, args))
        {
            Assert.True(resumed.WaitForExit(TimeSpan.FromSeconds(90)), "the resumed run did not finish: " + File.ReadAllText(log2));
            Assert.True(resumed.ExitCode == 0, File.ReadAllText(log2));
        }

        var output = File.ReadAllText(log2);
        Assert.Contains($"cancelled Slurm job {orphan} of experiment 1, left running by the interrupted session", output, StringComparison.Ordinal);
        Assert.Equal("CANCELLED", SlurmCluster.State(orphan));
        Assert.Empty(Processes.WithArgument(marker));
        Assert.Empty(SlurmCluster.Jobs(prefix));
        using (var ledger = Ledger.Open(Path.Combine(toy.Root, ".autoresearch", "ledger.db")))
        {
            var experiments = ledger.Experiments("k");
            Assert.Equal([0, 1, 2], experiments.Select(e => e.Seq));
            Assert.All(experiments, e => Assert.Equal(ExperimentPhase.Done, e.Phase));
            // Run by the killed session (cut off), then again by the resumed one (and perhaps confirmed): never two at once, never lost.
            Assert.InRange(experiments[1].Attempts, 2, 3);
            Assert.NotNull(experiments[1].Metric);
            Assert.Empty(ledger.MetaStartingWith("job:"));
        }
    }

    /// <summary>An agent whose change lowers X by the experiment's id and makes the run sleep HANG seconds until the flag exists.</summary>
    private static string SlowAgent(string fastFlag, string hang) =>
        $"x=$((1000 - AUTORESEARCH_EXPERIMENT)); sed -i \"s/^X=.*/X=$x/; s/^MODE=.*/MODE=slow/; s/^HANG=.*/HANG={hang}/\" knobs.sh; " +
        $"grep -q FAST_FLAG knobs.sh || echo 'FAST_FLAG={fastFlag}' >> knobs.sh; echo \"X to $x\"";

    private static async Task WaitForAsync(Func<bool> condition, Process harness, string log, string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, failure + ": " + (File.Exists(log) ? File.ReadAllText(log) : ""));
            Assert.False(harness.HasExited, File.Exists(log) ? File.ReadAllText(log) : "");
            await Task.Delay(100);
        }
    }
}
