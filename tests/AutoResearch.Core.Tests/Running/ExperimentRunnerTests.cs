using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Running;

public sealed class ExperimentRunnerTests
{
    [Fact]
    public async Task Run_gets_its_environment_and_its_output_goes_to_the_log()
    {
        using var toy = new ToyWorkspace();
        var spec = SpecWith(toy, """'echo "seed=$AUTORESEARCH_SEED exp=$AUTORESEARCH_EXPERIMENT dir=$AUTORESEARCH_RUN_DIR lib=$AUTORESEARCH_LIB"; echo oops >&2; echo "score: 1.5"'""");
        var runDir = Path.Combine(toy.Scratch, "run");
        var lines = new List<string>();

        var result = await new ExperimentRunner(spec, new Dictionary<string, string?> { ["AUTORESEARCH_LIB"] = "/lib/x" })
            .RunAsync(toy.Root, runDir, experiment: 17, seed: 5, onLine: l => { lock (lines) { lines.Add(l); } });

        var log = File.ReadAllText(Path.Combine(runDir, "run.log"));
        Assert.Contains($"seed=5 exp=17 dir={runDir} lib=/lib/x", log, StringComparison.Ordinal);
        Assert.Contains("oops", log, StringComparison.Ordinal);
        Assert.Equal(1.5, result.Metric);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("score: 1.5", lines);
        Assert.False(File.Exists(Path.Combine(runDir, "run.pgid")));
    }

    [Fact]
    public async Task Peak_memory_of_the_process_group_is_sampled()
    {
        using var toy = new ToyWorkspace();
        // python3 holds ~100 MB for a second; bash's own RSS is a few MB.
        var spec = SpecWith(toy, """'''python3 -c 'import time; b = bytearray(100_000_000); b[::4096] = b"x" * len(b[::4096]); time.sleep(1.2)'; echo 'score: 1' '''""");

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);

        Assert.InRange(result.PeakMemoryMb, 90, 400);
    }

    [Fact]
    public async Task Run_that_cannot_finish_before_the_timeout_is_stopped_early_as_a_timeout()
    {
        using var toy = new ToyWorkspace();
        // 4% every 0.4 s: about 10 s to finish, against a 4 s timeout.
        var spec = SpecWith(toy, """'for i in $(seq 1 25); do echo "progress: $((i * 4))% loss: 1"; sleep 0.4; done; echo "score: 1"'""", timeoutSeconds: 4);

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);

        Assert.True(result.TimedOut);
        Assert.Null(result.Metric);
        Assert.True(result.Wall < TimeSpan.FromSeconds(3.5), $"stopped after {result.Wall}, not before the timeout");
        var (status, error) = result.Judge(spec);
        Assert.Equal(AutoResearch.Core.Records.ExperimentStatus.Timeout, status);
        Assert.Contains("at this pace", error, StringComparison.Ordinal);
        Assert.Contains("at this pace", File.ReadAllText(result.LogPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_whose_pace_finishes_in_time_is_not_stopped()
    {
        using var toy = new ToyWorkspace();
        // A slow start (a compile) before the first progress line, then 10% every 0.1 s: about 1.5 s in all, against an 8 s timeout.
        var spec = SpecWith(toy, """'sleep 0.5; for i in $(seq 1 10); do echo "progress: $((i * 10))% loss: 1"; sleep 0.1; done; echo "score: 1"'""", timeoutSeconds: 8);

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);

        Assert.False(result.TimedOut, File.ReadAllText(result.LogPath));
        Assert.Equal(1, result.Metric);
    }

    /// <summary>A spec whose run command is <paramref name="command"/>, a TOML string as written.</summary>
    private static ResearchSpec SpecWith(ToyWorkspace toy, string command, int? timeoutSeconds = null) => SpecLoader.FromToml(
        toy.Root,
        "t",
        $"[objective]\nmetric = \"score\"\ndirection = \"minimize\"\n[run]\ncommand = {command}\n{(timeoutSeconds is { } t ? $"timeout_seconds = {t}\n" : "")}[scope]\neditable = [\"knobs.sh\"]\n");
}
