using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;

namespace AutoResearch.TinyGpt.Tests;

/// <summary>
/// The tinygpt template under <c>[score] mode = "trusted"</c> and <c>[run] sandbox = "bwrap"</c>, with a real train.cs
/// (tiny token budget): an honest run scores the same trusted as it self-reports, and each hostile variant is caught
/// with a clear status and message. One workspace, one run directory (so one sandboxed build) for all of them.
/// </summary>
public sealed class TrustedScoringTests(TrustedWorkspace workspace) : IClassFixture<TrustedWorkspace>
{
    [Fact]
    public async Task Honest_train_cs_scores_the_same_trusted_as_it_self_reports()
    {
        var trusted = workspace.Honest;
        var selfReported = await workspace.RunAsync("", spec => spec with { Score = ScoreSpec.Default });

        Assert.True(trusted.Metric is not null, workspace.HonestLog);
        Assert.True(selfReported.Metric is not null, File.ReadAllText(selfReported.LogPath));
        Assert.Contains("[autoresearch] trusted val_bpb:", workspace.HonestLog, StringComparison.Ordinal);
        Assert.DoesNotContain("self_reported_val_bpb", trusted.Output.Metrics.Keys);
        Assert.InRange(Math.Abs(trusted.Metric!.Value - selfReported.Metric!.Value), 0, 1e-3);
    }

    [Fact]
    public async Task Fake_val_bpb_is_recorded_flagged_and_ignored()
    {
        var result = await workspace.RunAsync("fake");

        var (status, error) = result.Judge(workspace.Spec);
        Assert.Null(status);
        Assert.Equal(0.1, result.Output.Metrics["self_reported_val_bpb"]);
        Assert.InRange(result.Metric!.Value, workspace.Honest.Metric!.Value - 1e-3, workspace.Honest.Metric!.Value + 1e-3);
        Assert.Contains("self-reported val_bpb 0.1 disagrees with the trusted", result.Flag, StringComparison.Ordinal);
        Assert.Null(error);
    }

    [Fact]
    public async Task Asking_the_fixed_half_for_the_validation_split_fails_the_run()
    {
        var result = await workspace.RunAsync("evaluate");

        var (status, error) = result.Judge(workspace.Spec);
        Assert.Equal(ExperimentStatus.Crash, status);
        Assert.Contains("validation split is withheld from training under trusted scoring", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_the_corpus_file_yields_nothing_under_the_sandbox()
    {
        var result = await workspace.RunAsync("read-file", target: workspace.Corpus);

        var log = File.ReadAllText(result.LogPath);
        Assert.True(log.Contains("leaked: 0 bytes", StringComparison.Ordinal), log);
        Assert.True(new FileInfo(workspace.Corpus).Length > 0);
        Assert.NotNull(result.Metric);
    }

    [Fact]
    public async Task Model_that_peeks_at_the_next_token_fails_the_causality_check()
    {
        var result = await workspace.RunAsync("peek");

        var (status, error) = result.Judge(workspace.Spec);
        Assert.Equal(ExperimentStatus.Rejected, status);
        Assert.Contains("causality check failed", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Writing_outside_the_worktree_fails_on_a_read_only_file_system()
    {
        var target = Path.Combine("/var/tmp", $"autoresearch-escape-{Guid.NewGuid():N}.txt");

        var result = await workspace.RunAsync("write-outside", target: target);

        var (status, error) = result.Judge(workspace.Spec);
        Assert.False(File.Exists(target));
        Assert.Equal(ExperimentStatus.Crash, status);
        Assert.Contains("Read-only file system", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Opening_a_network_connection_fails()
    {
        var result = await workspace.RunAsync("network");

        var (status, error) = result.Judge(workspace.Spec);
        Assert.Equal(ExperimentStatus.Crash, status);
        Assert.Contains("SocketException", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forking_until_the_process_limit_is_stopped_there()
    {
        var result = await workspace.RunAsync("fork", spec => spec with { Run = spec.Run with { Sandbox = spec.Run.Sandbox with { Processes = 300 } } });

        var (status, error) = result.Judge(workspace.Spec);
        Assert.Equal(ExperimentStatus.Crash, status);
        Assert.Contains("process limit of 300", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Allocating_past_the_memory_limit_is_killed()
    {
        var result = await workspace.RunAsync("memory", spec => spec with { Run = spec.Run with { Sandbox = spec.Run.Sandbox with { MemoryMb = 1500 } } });

        var (status, error) = result.Judge(workspace.Spec);
        Assert.Equal(ExperimentStatus.Crash, status);
        Assert.Contains("memory limit of 1500 MB", error, StringComparison.Ordinal);
    }
}
