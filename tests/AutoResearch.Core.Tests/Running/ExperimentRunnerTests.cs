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

    /// <summary>A spec whose run command is <paramref name="command"/>, a TOML string as written.</summary>
    private static ResearchSpec SpecWith(ToyWorkspace toy, string command) => SpecLoader.FromToml(
        toy.Root,
        "t",
        $"[objective]\nmetric = \"score\"\ndirection = \"minimize\"\n[run]\ncommand = {command}\n[scope]\neditable = [\"knobs.sh\"]\n");
}
