using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Running;

/// <summary>
/// Trusted scoring over the log-probability protocol with small Python servers (fast, no model to train): the harness
/// computes the metric itself, catches a server that looks ahead or answers non-distributions, and flags a fake self-report.
/// </summary>
public sealed class TrustedScoringTests
{
    // A causal first-order model: P(next = current) = 1/2, the rest uniform. "peek" puts 0.99 on the next token
    // (which it must not see); "unnormalised" answers zeros; "crash" dies after its handshake.
    internal const string Server = """
        import math, struct, sys
        mode = sys.argv[1]
        inp, out = sys.stdin.buffer, sys.stdout.buffer
        T = 16
        out.write(b"ARLP" + struct.pack("<iii", 1, 256, T)); out.flush()
        if mode == "crash": sys.exit(3)
        def row(hot, p):
            rest = math.log((1 - p) / 255)
            r = [rest] * 256
            r[hot] = math.log(p)
            return r
        while True:
            head = inp.read(4)
            if len(head) < 4: break
            n = struct.unpack("<i", head)[0]
            if n == 0: break
            toks = inp.read(n)
            flat = []
            for p in range(n):
                if mode == "honest": flat += row(toks[p], 0.5)
                elif mode == "peek": flat += row(toks[p + 1] if p + 1 < n else 0, 0.99)
                else: flat += [0.0] * 256
            out.write(struct.pack("<%df" % len(flat), *flat))
        out.flush()
        """;

    [Fact]
    public async Task Honest_server_is_scored_by_the_harness_and_training_gets_only_the_training_split()
    {
        using var toy = new ToyWorkspace();
        var (spec, corpus) = Trusted(toy, "honest", "'''echo \"split=$AUTORESEARCH_SPLIT bytes=$(wc -c < \"$AUTORESEARCH_DATA\")\"; echo ok'''");

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);

        var log = File.ReadAllText(result.LogPath);
        Assert.Contains($"split=train bytes={corpus.Length - (corpus.Length / 10)}", log, StringComparison.Ordinal);
        Assert.NotNull(result.Metric);
        Assert.Equal(Expected(corpus[^(corpus.Length / 10)..]), result.Metric!.Value, 5);
        Assert.Null(result.Flag);
        Assert.Contains("[autoresearch] trusted score:", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fake_self_reported_metric_is_recorded_and_flagged_while_the_trusted_one_counts()
    {
        using var toy = new ToyWorkspace();
        var (spec, corpus) = Trusted(toy, "honest", "'''echo \"score: 0.1\"'''");

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);

        Assert.Equal(Expected(corpus[^(corpus.Length / 10)..]), result.Metric!.Value, 5);
        Assert.Equal(0.1, result.Output.Metrics["self_reported_score"]);
        Assert.NotNull(result.Flag);
        Assert.Contains("self-reported score 0.1 disagrees", result.Flag, StringComparison.Ordinal);
        Assert.Contains("FLAG", File.ReadAllText(result.LogPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_that_looks_ahead_fails_the_causality_check()
    {
        using var toy = new ToyWorkspace();
        var (spec, _) = Trusted(toy, "peek", "'echo trained'");

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);

        Assert.Null(result.Metric);
        Assert.True(result.ScoreViolation);
        Assert.Contains("causality check failed", result.ScoreFailure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_whose_answers_are_not_distributions_is_rejected()
    {
        using var toy = new ToyWorkspace();
        var (spec, _) = Trusted(toy, "unnormalised", "'echo trained'");

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);

        Assert.Null(result.Metric);
        Assert.True(result.ScoreViolation);
        Assert.Contains("not a probability distribution", result.ScoreFailure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Crashing_server_is_a_crash_with_its_log()
    {
        using var toy = new ToyWorkspace();
        var (spec, _) = Trusted(toy, "crash", "'echo trained'");

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);

        Assert.Null(result.Metric);
        Assert.False(result.ScoreViolation);
        Assert.Contains("score-", result.ScoreFailure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Under_the_sandbox_training_cannot_read_the_corpus_that_holds_the_holdout()
    {
        using var toy = new ToyWorkspace();
        // Outside /tmp (which the sandbox replaces anyway), so that hiding the file itself is what is tested.
        var folder = Path.Combine("/var/tmp", $"autoresearch-tests-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            var (spec, corpus) = Trusted(toy, "honest", "'''echo \"corpus=$(cat \"$CORPUS\" | wc -c)\"'''", sandbox: "bwrap", folder: folder);
            var path = spec.Score.Data!;
            Assert.Equal(corpus.Length, new FileInfo(path).Length);

            var result = await new ExperimentRunner(spec, new Dictionary<string, string?> { ["CORPUS"] = path })
                .RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);

            Assert.Contains("corpus=0", File.ReadAllText(result.LogPath), StringComparison.Ordinal);
            Assert.NotNull(result.Metric);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Score_command_sees_the_hidden_paths_that_training_does_not()
    {
        using var toy = new ToyWorkspace();
        File.WriteAllText(Path.Combine(toy.Root, "labels.txt"), "0.25");
        var spec = SpecLoader.FromToml(toy.Root, "t", $$"""
            [objective]
            metric = "score"
            direction = "minimize"
            [run]
            command = '''echo "train sees [$(cat labels.txt)]"; echo "score: 0.01"'''
            sandbox = "bwrap"
            [scope]
            editable = ["knobs.sh"]
            [score]
            mode = "trusted"
            command = '''echo "score: $(cat labels.txt)"'''
            hidden = ["labels.txt"]
            """);

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);

        Assert.Contains("train sees []", File.ReadAllText(result.LogPath), StringComparison.Ordinal);
        Assert.Equal(0.25, result.Metric);
        Assert.Equal(0.01, result.Output.Metrics["self_reported_score"]);
        Assert.NotNull(result.Flag);
    }

    /// <summary>Bits per byte of the honest server over <paramref name="holdout"/>: every target after the first, once.</summary>
    internal static double Expected(byte[] holdout)
    {
        double bits = 0;
        for (var i = 1; i < holdout.Length; i++)
        {
            bits += holdout[i] == holdout[i - 1] ? 1 : -Math.Log2(0.5 / 255);
        }

        return bits / (holdout.Length - 1);
    }

    private static (ResearchSpec Spec, byte[] Corpus) Trusted(ToyWorkspace toy, string mode, string command, string sandbox = "none", string? folder = null)
    {
        // In the worktree: a sandboxed scorer sees the worktree and the run directory, and the rest of /tmp not at all.
        var server = Path.Combine(toy.Root, "server.py");
        File.WriteAllText(server, Server);
        var corpus = new byte[3000];
        new Random(7).NextBytes(corpus);
        for (var i = 1; i < corpus.Length; i += 3)
        {
            corpus[i] = corpus[i - 1];
        }

        var data = Path.Combine(folder ?? toy.Scratch, "corpus.bin");
        File.WriteAllBytes(data, corpus);
        var spec = SpecLoader.FromToml(toy.Root, "t", $$"""
            [objective]
            metric = "score"
            direction = "minimize"
            [run]
            command = {{command}}
            sandbox = "{{sandbox}}"
            [scope]
            editable = ["knobs.sh"]
            [score]
            mode = "trusted"
            serve = "python3 {{server}} {{mode}}"
            data = "{{data}}"
            """);
        return (spec, corpus);
    }
}
