using System.Globalization;
using AutoResearch.Core.Records;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Loop;

public sealed class RecoveryTests
{
    [Fact]
    public async Task Keep_that_moved_the_branch_but_was_not_recorded_is_recorded_as_kept_without_rerunning()
    {
        using var toy = new ToyWorkspace(x: 10);
        toy.Plan(ToyWorkspace.SetX(4), ToyWorkspace.SetX(3));
        await LoopHarness.RunAsync(toy, maxExperiments: 1);
        int attempts;
        // Simulate a kill between `update-ref` and the ledger's final write.
        using (var ledger = Ledger.Open(LoopHarness.LedgerPath(toy)))
        {
            var kept = ledger.Experiments("t1")[1];
            attempts = kept.Attempts;
            ledger.Save(kept with { Phase = ExperimentPhase.Running, Status = null, FinishedAt = null });
            ledger.ReopenRun("t1");
        }

        var summary = await LoopHarness.RunAsync(toy, maxExperiments: 2);

        Assert.Equal(["keep", "keep", "keep"], LoopHarness.Statuses(summary.Experiments));
        // Its first run and the confirmation on a fresh seed (σ unknown), and none since.
        Assert.Equal(2, attempts);
        Assert.Equal(attempts, summary.Experiments[1].Attempts);
        Assert.Equal(3, summary.Best.Metric);
    }

    [Fact]
    public async Task Ctrl_c_mid_run_leaves_the_candidate_to_be_resumed_and_kills_the_run()
    {
        using var toy = new ToyWorkspace(x: 10);
        var marker = (600000 + Random.Shared.Next(99999)).ToString(CultureInfo.InvariantCulture);
        var flag = Path.Combine(toy.Scratch, "fast");
        toy.Plan(ToyWorkspace.SetMode("slow", x: 2) + $"; printf 'FAST_FLAG={flag}\\nHANG={marker}\\n' >> knobs.sh");
        using var cancellation = new CancellationTokenSource();
        var run = LoopHarness.RunAsync(toy, maxExperiments: 1, cancellationToken: cancellation.Token);
        while (Processes.WithArgument(marker).Count == 0)
        {
            Assert.False(run.IsCompleted, "the loop ended before the slow run started");
            await Task.Delay(25);
        }

        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);

        Assert.Empty(Processes.WithArgument(marker));
        var interrupted = LoopHarness.Experiments(toy)[1];
        Assert.Equal(ExperimentPhase.Running, interrupted.Phase);
        Assert.Equal(0, interrupted.Attempts);

        File.WriteAllText(flag, "");
        var summary = await LoopHarness.RunAsync(toy, maxExperiments: 1);
        Assert.Equal(["keep", "keep"], LoopHarness.Statuses(summary.Experiments));
        Assert.Equal(2, summary.Best.Metric);
    }

    [Fact]
    public async Task Renaming_an_editable_file_counts_both_names_and_is_rejected()
    {
        using var toy = new ToyWorkspace(x: 10);
        // A plain rename: in its sandbox the agent cannot write the repository's index (git mv), only the files.
        toy.Plan("mv knobs.sh knobs2.sh; echo 'rename'");

        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        var e = LoopHarness.Experiments(toy)[1];
        Assert.Equal(ExperimentStatus.Rejected, e.Status);
        Assert.Equal(["knobs.sh", "knobs2.sh"], e.ChangedPaths.Order(StringComparer.Ordinal));
        Assert.Contains("knobs2.sh", e.Error, StringComparison.Ordinal);
    }
}
