using System.Diagnostics;
using System.Globalization;
using AutoResearch.Nn;

namespace AutoResearch.TinyGpt;

/// <summary>
/// The fixed half of a training run, like karpathy's <c>prepare.py</c>: it reads the settings, loads the
/// data, owns the budget, prints progress, catches divergence, scores the model on the validation split
/// and prints the summary. <c>train.cs</c> builds the model and runs the loop around it.
/// </summary>
public sealed class TrainingRun
{
    /// <summary>Progress lines per run (one every 5% of the budget).</summary>
    public const int ProgressLines = 20;

    private readonly Corpus _corpus;
    private readonly TextWriter _out;
    private readonly Action<int> _exit;
    private int _lastBucket = -1;
    private float _firstLoss = float.NaN;
    private float _lastLoss = float.NaN;
    private double[] _stepSeconds = [];
    private double _lastStepAt;
    private long _tokensPerStep;
    private long _untimedTokens = -1;

    internal TrainingRun(WorkloadOptions options, Corpus corpus, TextWriter output, Action<int> exit)
    {
        Options = options;
        _corpus = corpus;
        _out = output;
        _exit = exit;
        Budget = new Budget(options.TimeBudgetSeconds, options.TokenBudget);
    }

    /// <summary>The settings of this run.</summary>
    public WorkloadOptions Options { get; }

    /// <summary>The seed (<c>AUTORESEARCH_SEED</c>, default 42).</summary>
    public ulong Seed => Options.Seed;

    /// <summary>Threads the kernels use (<c>AUTORESEARCH_THREADS</c>, default all processors).</summary>
    public int Threads => Options.Threads;

    /// <summary>Vocabulary size: 256 (bytes).</summary>
    public int VocabSize => ByteTokenizer.VocabSize;

    /// <summary>The budget to poll: <c>while (!run.Budget.Done)</c>, and <c>run.Budget.Fraction</c> for schedules.</summary>
    public Budget Budget { get; }

    /// <summary>Optimizer steps reported so far through <see cref="Step"/>.</summary>
    public int Steps { get; private set; }

    /// <summary>
    /// Starts a run from the command line and environment (see <see cref="WorkloadOptions.Parse"/>): configures
    /// the worker pool and loads the corpus. On a bad setting or missing data it prints the reason and exits with code 1.
    /// </summary>
    public static TrainingRun Start(string[] args)
    {
        try
        {
            var options = WorkloadOptions.Parse(args);
            WorkerPool.Configure(options.Threads);
            if (options.ServeCheckpoint is not null)
            {
                // Scoring phase: stdout carries the binary protocol, so everything printed goes to stderr,
                // no data is loaded and the budget is spent before it starts: train.cs goes straight to Finish.
                Console.SetOut(Console.Error);
                return new TrainingRun(options with { TokenBudget = 0 }, Corpus.None, Console.Error, Environment.Exit);
            }

            var corpus = Corpus.Load(options.DataPath, options.TrainOnly);
            if (options.DownloadOnly)
            {
                Console.WriteLine($"data ready: {corpus.Length} bytes ({options.DataPath ?? Path.Combine(Corpus.CacheDirectory, "tinyshakespeare", "input.txt")})");
                Environment.Exit(0);
            }

            var run = new TrainingRun(options, corpus, Console.Out, Environment.Exit);
            run.PrintHeader();
            return run;
        }
        catch (WorkloadException e)
        {
            // The user can fix these; a stack trace would only hide the message.
            Console.Error.WriteLine($"error: {e.Message}");
            Environment.Exit(1);
            throw; // unreachable
        }
    }

    /// <summary>A batch loader over the training split, seeded from <see cref="Seed"/>.</summary>
    /// <remarks>In the scoring phase there is no data; the loader is never advanced, so it holds one window of zeros.</remarks>
    public BatchLoader Loader(int batch, int time) =>
        new(Options.ServeCheckpoint is null ? _corpus.Train : new int[time + 1], batch, time, Seed ^ 0xB47C4);

    /// <summary>
    /// Reports one optimizer step: counts <paramref name="tokens"/> against the budget, prints
    /// <c>progress: P% loss: L</c> every 5% of the budget, and ends the run with <c>FAIL</c> and exit code 1
    /// when the loss is NaN, infinite, or exploding (above 4 times the first loss and above 20 nats).
    /// </summary>
    public void Step(float loss, long tokens)
    {
        _tokensPerStep = tokens;
        Budget.Add(tokens);
        if (_untimedTokens < 0)
        {
            // The budget clock starts with this call, so the first step's tokens trained in no measured time.
            _untimedTokens = tokens;
        }

        Steps++;
        Profiler.EndStep();
        if (float.IsNaN(_firstLoss))
        {
            _firstLoss = loss;
        }

        _lastLoss = loss;
        if (Options.Profile && Steps == 1)
        {
            // The first step pays for JIT compilation and buffer allocation; profile the steady state.
            Profiler.Clear();
            Profiler.Enabled = true;
            _stepSeconds = new double[1 << 20];
        }
        else if (Options.Profile && Steps - 2 < _stepSeconds.Length)
        {
            _stepSeconds[Steps - 2] = Budget.Elapsed - _lastStepAt;
        }

        _lastStepAt = Budget.Elapsed;

        if (!float.IsFinite(loss) || (loss > 20 && loss > 4 * _firstLoss))
        {
            Fail($"loss is {loss.ToString(CultureInfo.InvariantCulture)} at step {Steps}");
            return;
        }

        var bucket = (int)Math.Floor(Budget.Fraction * ProgressLines);
        if (bucket > _lastBucket)
        {
            _lastBucket = bucket;
            PrintProgress(Budget.Fraction);
        }
    }

    /// <summary>
    /// Validation loss in bits per byte over the whole validation split: windows of <paramref name="context"/>
    /// tokens, every target scored exactly once (the last window overlaps the one before and scores only its
    /// new targets), <paramref name="batch"/> windows per forward pass.
    /// </summary>
    /// <remarks>Under trusted scoring training has no validation data: the call fails the run with a <c>FAIL:</c> line.</remarks>
    public double EvaluateBpb(LogitsForward forward, int context, int batch = 16)
    {
        ArgumentNullException.ThrowIfNull(forward);
        if (_corpus.Validation.Length == 0)
        {
            Fail("the validation split is withheld from training under trusted scoring (AUTORESEARCH_SPLIT=train); the harness scores the checkpoint itself");
            return double.NaN;
        }

        return Evaluate(forward, _corpus.Validation, context, batch);
    }

    /// <summary>
    /// Stops the budget clock, writes the checkpoint when asked (<c>AUTORESEARCH_CHECKPOINT</c>), scores the model on the
    /// validation split when the run has one, prints the summary and returns the exit code (0). In the scoring phase
    /// (<c>--serve-logprobs CHECKPOINT</c>) it loads the checkpoint instead and serves log-probabilities on stdin/stdout
    /// (<see cref="LogProbServer"/>).
    /// </summary>
    /// <param name="forward">The model's forward pass.</param>
    /// <param name="context">The context length to evaluate with (usually the training context).</param>
    /// <param name="parameters">The model's parameters, to count, save or load them.</param>
    public int Finish(LogitsForward forward, int context, IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (Options.ServeCheckpoint is { } checkpoint)
        {
            return Serve(forward, context, parameters, checkpoint);
        }

        Budget.Stop();
        if (_lastBucket < ProgressLines)
        {
            _lastBucket = ProgressLines;
            PrintProgress(1.0);
        }

        var trainingSeconds = Budget.Elapsed;
        if (Options.Profile && Steps > 1)
        {
            Profiler.Enabled = false;
            foreach (var line in Profiler.Report(Steps - 1).Split('\n'))
            {
                _out.WriteLine($"profile: {line}");
            }

            _out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"profile: step {trainingSeconds * 1000 / Math.Max(Steps - 1, 1):F2} ms on average (wall clock, all timed steps)"));
            var measured = _stepSeconds.AsSpan(0, Math.Min(Steps - 1, _stepSeconds.Length));
            measured.Sort();
            var median = measured[measured.Length / 2];
            _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"profile: median step {median * 1000:F2} ms, {_tokensPerStep / median:F0} tokens/s at the median (robust to other processes)"));
        }

        if (Options.CheckpointPath is { } path)
        {
            Checkpoint.Save(path, parameters);
            _out.WriteLine($"checkpoint: {path}");
        }

        double? bpb = null;
        if (_corpus.Validation.Length > 0)
        {
            bpb = EvaluateBpb(forward, context);
            if (!double.IsFinite(bpb.Value))
            {
                Fail($"validation loss is {bpb.Value.ToString(CultureInfo.InvariantCulture)}");
                return 1;
            }
        }

        using var process = Process.GetCurrentProcess();
        var summary = new RunSummary
        {
            ValBpb = bpb,
            TrainingSeconds = trainingSeconds,
            TotalSeconds = (DateTime.Now - process.StartTime).TotalSeconds,
            PeakMemoryMb = process.PeakWorkingSet64 / (1024.0 * 1024.0),
            TokensPerSecond = trainingSeconds > 0 ? (Budget.TokensSeen - Math.Max(_untimedTokens, 0)) / trainingSeconds : 0,
            TotalTokens = Budget.TokensSeen,
            NumSteps = Steps,
            NumParams = parameters.Sum(p => (long)p.Length),
        };
        _out.WriteLine(summary.Format());
        _out.Flush();
        return 0;
    }

    private int Serve(LogitsForward forward, int context, IEnumerable<Tensor> parameters, string checkpoint)
    {
        try
        {
            Checkpoint.Load(checkpoint, parameters);
            using var input = Console.OpenStandardInput();
            using var output = Console.OpenStandardOutput();
            var answered = LogProbServer.Serve(forward, context, input, output);
            _out.WriteLine($"served log-probabilities for {answered} sequences");
            return 0;
        }
        catch (WorkloadException e)
        {
            // A bad checkpoint or request: say so on stderr; the harness reports the scoring phase's log.
            Fail(e.Message);
            return 1;
        }
    }

    internal static double Evaluate(LogitsForward forward, int[] tokens, int context, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(context);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        var n = tokens.Length;
        var t = Math.Min(context, n - 1);
        if (t < 1)
        {
            throw new WorkloadException($"the validation split holds {n} tokens; at least 2 are needed");
        }

        // Windows (start, first scored position): full windows, then one overlapping window for the rest.
        var windows = new List<(int Start, int From)>();
        var s = 0;
        for (; s + t + 1 <= n; s += t)
        {
            windows.Add((s, 0));
        }

        if (s < n - 1)
        {
            var start = n - 1 - t;
            windows.Add((start, s - start));
        }

        var graph = new Graph(recordGradients: false);
        var inputs = new int[batch * t];
        double bits = 0;
        long count = 0;
        for (var w0 = 0; w0 < windows.Count; w0 += batch)
        {
            var bsz = Math.Min(batch, windows.Count - w0);
            var x = bsz == batch ? inputs : new int[bsz * t];
            for (var i = 0; i < bsz; i++)
            {
                tokens.AsSpan(windows[w0 + i].Start, t).CopyTo(x.AsSpan(i * t, t));
            }

            graph.Reset();
            var logits = forward(graph, x, bsz, t);
            if (logits.Length != bsz * t * ByteTokenizer.VocabSize)
            {
                throw new InvalidOperationException($"the model returned {logits} for {bsz}x{t} tokens; expected [{bsz * t}, {ByteTokenizer.VocabSize}] logits");
            }

            for (var i = 0; i < bsz; i++)
            {
                var (start, from) = windows[w0 + i];
                for (var p = from; p < t; p++)
                {
                    var row = logits.Data.AsSpan(((i * t) + p) * ByteTokenizer.VocabSize, ByteTokenizer.VocabSize);
                    bits += RowBits(row, tokens[start + p + 1]);
                    count++;
                }
            }
        }

        return bits / count;
    }

    // -log2 softmax(row)[target], in double: log2(sum exp(x - max)) + (max - x_target) / ln 2.
    internal static double RowBits(ReadOnlySpan<float> row, int target)
    {
        double max = double.NegativeInfinity;
        foreach (var v in row)
        {
            max = Math.Max(max, v);
        }

        double sum = 0;
        foreach (var v in row)
        {
            sum += Math.Exp(v - max);
        }

        return Math.Log2(sum) + ((max - row[target]) / Math.Log(2));
    }

    private void PrintHeader()
    {
        var budget = Budget.Tokens is { } tk ? $"{tk} tokens" : $"{Budget.Seconds!.Value.ToString(CultureInfo.InvariantCulture)} s";
        _out.WriteLine($"tinygpt: {_corpus.Length} bytes ({_corpus.Train.Length} train, {_corpus.Validation.Length} validation), budget {budget}, seed {Seed}, threads {Threads}");
    }

    private void PrintProgress(double fraction) =>
        _out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"progress: {fraction * 100:F0}% loss: {_lastLoss:F4}"));

    private void Fail(string reason)
    {
        _out.WriteLine($"FAIL: {reason}");
        _out.Flush();
        _exit(1);
    }
}
