namespace AutoResearch.Core.Records;

/// <summary>
/// What one experiment cost to run, per run (the mean over its seeds): wall time, the work it reports (tokens, iterations),
/// its size (parameters), its peak memory and its throughput. Each is null where the run did not say.
/// </summary>
public sealed record ExperimentCost
{
    /// <summary>Wall-clock seconds of one run.</summary>
    public double? Seconds { get; init; }

    /// <summary>Training tokens one run processed, as it printed them (<c>total_tokens_M</c>, <c>[cost] tokens</c>).</summary>
    public double? Tokens { get; init; }

    /// <summary>Training iterations (steps) of one run, as it printed them (<c>num_steps</c>, <c>[cost] iterations</c>).</summary>
    public double? Iterations { get; init; }

    /// <summary>The model's parameter count, as the run printed it (<c>num_params_M</c>, <c>[cost] params</c>).</summary>
    public double? Params { get; init; }

    /// <summary>Peak memory in MB (the run's own report, else the peak RSS of its process group).</summary>
    public double? MemoryMb { get; init; }

    /// <summary>Training throughput in tokens per second (<c>tokens_per_sec</c>, else tokens over training seconds).</summary>
    public double? TokensPerSecond { get; init; }

    /// <summary>How many runs the values are the mean of.</summary>
    public int Runs { get; init; } = 1;

    /// <summary>The value of one measure of cost; null when not recorded.</summary>
    public double? Of(CostMeasure measure) => measure switch
    {
        CostMeasure.Time => Seconds,
        CostMeasure.Tokens => Tokens,
        CostMeasure.Iterations => Iterations,
        CostMeasure.Params => Params,
        CostMeasure.Memory => MemoryMb,
        _ => throw new ArgumentOutOfRangeException(nameof(measure), measure, null),
    };

    /// <summary>
    /// The cost of an experiment after one more run: the mean of <paramref name="sofar"/> (null before the first run) and
    /// <paramref name="run"/>, as a running mean (a run that did not report a value counts as the mean of those before it that
    /// did); a mean is never infinite.
    /// </summary>
    public static ExperimentCost Add(ExperimentCost? sofar, ExperimentCost run)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (sofar is null)
        {
            return run with { Runs = 1 };
        }

        var n = sofar.Runs;
        double? Mean(double? a, double? b) => (a, b) switch
        {
            ({ } x, { } y) => Running.CostReader.Finite(x + ((y - x) / (n + 1))),
            (null, _) => b,
            _ => a,
        };
        return new ExperimentCost
        {
            Seconds = Mean(sofar.Seconds, run.Seconds),
            Tokens = Mean(sofar.Tokens, run.Tokens),
            Iterations = Mean(sofar.Iterations, run.Iterations),
            Params = Mean(sofar.Params, run.Params),
            MemoryMb = sofar.MemoryMb is { } m && run.MemoryMb is { } r ? Math.Max(m, r) : sofar.MemoryMb ?? run.MemoryMb,
            TokensPerSecond = Mean(sofar.TokensPerSecond, run.TokensPerSecond),
            Runs = n + 1,
        };
    }
}
