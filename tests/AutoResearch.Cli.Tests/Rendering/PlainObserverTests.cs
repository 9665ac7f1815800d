using AutoResearch.Cli.Rendering;
using AutoResearch.Cli.Tests.Support;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using AutoResearch.Tests.Support;
using Spectre.Console.Testing;

namespace AutoResearch.Cli.Tests.Rendering;

public sealed class PlainObserverTests
{
    [Fact]
    public void Plain_mode_prints_a_progress_line_at_each_interval_with_elapsed_time_and_the_last_value_seen()
    {
        using var toy = new ToyWorkspace();
        var spec = SpecLoader.Load(toy.Root);
        var console = new TestConsole().Width(250);
        var clock = new TimerClock();
        using var observer = new PlainObserver(console, spec, clock, TimeSpan.FromSeconds(30));
        var experiment = Experiment(3);

        observer.OnRunning(experiment, TimeSpan.FromMinutes(10));
        clock.Advance(TimeSpan.FromSeconds(29));
        var before = Lines(console);
        clock.Advance(TimeSpan.FromSeconds(1));
        observer.OnOutput(experiment, "progress: 40% loss: 2.31");
        clock.Advance(TimeSpan.FromSeconds(30));
        observer.OnOutput(experiment, "score: 1.25");
        clock.Advance(TimeSpan.FromSeconds(30));
        observer.OnExperimentFinished(experiment with { Phase = ExperimentPhase.Done, Status = ExperimentStatus.Discard, Metric = 1.25 }, experiment with { Metric = 1.0 });
        clock.Advance(TimeSpan.FromMinutes(5));

        var lines = Lines(console);
        Assert.DoesNotContain(before, l => l.Contains(" of the ", StringComparison.Ordinal));
        var progress = lines.Where(l => l.Contains(" of the ", StringComparison.Ordinal)).ToList();
        Assert.Equal(
        [
            "[3] 0m30s of the 10m00s limit; no progress line yet",
            "[3] 1m00s of the 10m00s limit; progress 40% loss 2.31",
            "[3] 1m30s of the 10m00s limit; score 1.25",
        ], progress);
        Assert.StartsWith("[3] discard score=1.250000", lines[^1], StringComparison.Ordinal);
    }

    private static List<string> Lines(TestConsole console) => console.Output.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0).ToList();

    private static ExperimentRecord Experiment(int seq) => new()
    {
        Id = seq + 1,
        Tag = "t",
        Seq = seq,
        Phase = ExperimentPhase.Running,
        ParentCommit = "abc1234",
        Proposer = "search",
        Description = "X 1 -> 2",
        StartedAt = DateTimeOffset.UnixEpoch,
        Seed = 42,
    };
}
