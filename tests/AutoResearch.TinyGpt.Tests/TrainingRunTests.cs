using AutoResearch.Nn;

namespace AutoResearch.TinyGpt.Tests;

public sealed class TrainingRunTests
{
    private sealed class ExitCalled(int code) : Exception($"exit {code}")
    {
        public int Code { get; } = code;
    }

    private static (TrainingRun Run, StringWriter Output) NewRun(WorkloadOptions options, byte[]? corpus = null)
    {
        var output = new StringWriter();
        var run = new TrainingRun(options, Corpus.FromBytes(corpus ?? SyntheticCorpus.Generate(4000, 1)), output, code => throw new ExitCalled(code));
        return (run, output);
    }

    [Fact]
    public void Uniform_model_scores_exactly_eight_bits_per_byte()
    {
        var (run, _) = NewRun(new WorkloadOptions());
        LogitsForward uniform = (graph, tokens, batch, time) => Tensor.Zeros([batch * time, ByteTokenizer.VocabSize]);
        Assert.Equal(8.0, run.EvaluateBpb(uniform, context: 64));
    }

    [Fact]
    public void Evaluation_scores_every_validation_target_exactly_once()
    {
        // A "model" that is certain of the true next byte scores 0 bits only if every scored position
        // lines up with its target, including the overlapping last window.
        int[] validation = [.. Enumerable.Range(0, 103).Select(i => (i * 7) % 256)];
        var counted = 0;
        LogitsForward oracle = (graph, tokens, batch, time) =>
        {
            var logits = Tensor.Zeros([batch * time, ByteTokenizer.VocabSize]);
            for (var r = 0; r < batch * time; r++)
            {
                var next = (Array.IndexOf(validation, tokens[r]) + 1) % validation.Length;
                logits.Data[(r * 256) + validation[next]] = 100f;
            }

            counted += batch * time;
            return logits;
        };
        var bpb = TrainingRun.Evaluate(oracle, validation, context: 10, batch: 3);
        Assert.True(bpb < 1e-30, $"bpb {bpb}");
        Assert.Equal(110, counted); // 10 full windows + one overlapping window for the last 2 targets
    }

    [Fact]
    public void Nan_loss_prints_FAIL_and_exits_with_code_1()
    {
        var (run, output) = NewRun(new WorkloadOptions { TokenBudget = 1000 });
        run.Step(5.5f, 10);
        var exit = Assert.Throws<ExitCalled>(() => run.Step(float.NaN, 10));
        Assert.Equal(1, exit.Code);
        Assert.Contains("FAIL: loss is NaN at step 2", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Exploding_loss_prints_FAIL()
    {
        var (run, output) = NewRun(new WorkloadOptions { TokenBudget = 1000 });
        run.Step(5.5f, 10);
        Assert.Throws<ExitCalled>(() => run.Step(500f, 10));
        Assert.StartsWith("FAIL", output.ToString().Split('\n')[^2], StringComparison.Ordinal);
    }

    [Fact]
    public void Token_budget_run_prints_at_least_twenty_progress_lines_and_a_summary()
    {
        var (run, output) = NewRun(new WorkloadOptions { TokenBudget = 100 });
        while (!run.Budget.Done)
        {
            run.Step(3f, 3);
        }

        LogitsForward uniform = (graph, tokens, batch, time) => Tensor.Zeros([batch * time, 256]);
        Assert.Equal(0, run.Finish(uniform, 16, [Tensor.Zeros([10])]));
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Count(l => l.StartsWith("progress: ", StringComparison.Ordinal)) >= 20);
        Assert.Contains("progress: 100% loss: 3.0000", lines);
        var summary = lines.SkipWhile(l => l != "---").ToArray();
        Assert.Equal(
            ["---", "val_bpb:", "training_seconds:", "total_seconds:", "peak_memory_mb:", "tokens_per_sec:", "total_tokens_M:", "num_steps:", "num_params_M:"],
            summary.Select(l => l.Split(' ')[0]));
        Assert.Equal("val_bpb:          8.000000", summary[1]);
        Assert.Equal("num_steps:        34", summary[7]);
    }

    [Fact]
    public void Budget_fraction_follows_tokens_and_is_done_at_the_budget()
    {
        var budget = new Budget(60, 1000);
        Assert.Null(budget.Seconds);
        budget.Add(250);
        Assert.Equal(0.25, budget.Fraction);
        Assert.False(budget.Done);
        budget.Add(750);
        Assert.True(budget.Done);
    }

    [Fact]
    public void Loader_is_seeded_and_targets_are_inputs_shifted_by_one()
    {
        var corpus = Corpus.FromBytes(SyntheticCorpus.Generate(5000, 2));
        var a = new BatchLoader(corpus.Train, 4, 16, 7);
        var b = new BatchLoader(corpus.Train, 4, 16, 7);
        a.Next();
        b.Next();
        Assert.Equal(a.Inputs, b.Inputs);
        for (var r = 0; r < 4; r++)
        {
            Assert.Equal(a.Inputs.AsSpan((r * 16) + 1, 15).ToArray(), a.Targets.AsSpan(r * 16, 15).ToArray());
        }

        a.Next();
        Assert.NotEqual(b.Inputs, a.Inputs);
    }

    [Fact]
    public void Corpus_keeps_the_last_tenth_for_validation()
    {
        var bytes = SyntheticCorpus.Generate(1000, 3);
        var corpus = Corpus.FromBytes(bytes);
        Assert.Equal(900, corpus.Train.Length);
        Assert.Equal(100, corpus.Validation.Length);
        Assert.Equal(bytes[900], corpus.Validation[0]);
    }

    [Fact]
    public void Missing_data_file_names_the_flag_and_the_variable()
    {
        var ex = Assert.Throws<WorkloadException>(() => Corpus.Load("/nonexistent/input.txt"));
        Assert.Contains("--data", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AUTORESEARCH_DATA", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Failed_download_names_the_flag_and_the_variable()
    {
        var cache = Path.Combine(Path.GetTempPath(), $"ar-cache-{Guid.NewGuid():N}");
        var ex = Assert.Throws<WorkloadException>(() => Corpus.Download(Path.Combine(cache, "input.txt"), new Uri("http://127.0.0.1:9/input.txt")));
        Assert.Contains("--data PATH", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AUTORESEARCH_DATA", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cache, "input.txt")));
    }
}
