using AutoResearch.Nn;

namespace AutoResearch.TinyGpt;

/// <summary>
/// Seeded random batches from the training split: B windows of T+1 consecutive tokens at uniform random
/// offsets; inputs are the first T tokens of each window, targets the last T.
/// </summary>
public sealed class BatchLoader
{
    private readonly int[] _tokens;
    private readonly Rng _rng;

    internal BatchLoader(int[] tokens, int batch, int time, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(time);
        if (tokens.Length < time + 1)
        {
            throw new WorkloadException($"the training split holds {tokens.Length} tokens, fewer than one window of {time + 1}; use a shorter context or more data");
        }

        _tokens = tokens;
        _rng = new Rng(seed);
        (Batch, Time) = (batch, time);
        Inputs = new int[batch * time];
        Targets = new int[batch * time];
    }

    /// <summary>Windows per batch (B).</summary>
    public int Batch { get; }

    /// <summary>Tokens per window (T).</summary>
    public int Time { get; }

    /// <summary>Input tokens of the current batch, [B, T] row-major. The same array every batch.</summary>
    public int[] Inputs { get; }

    /// <summary>Target tokens of the current batch (inputs shifted by one), [B, T]. The same array every batch.</summary>
    public int[] Targets { get; }

    /// <summary>Tokens per batch, B·T.</summary>
    public int TokensPerBatch => Batch * Time;

    /// <summary>Fills <see cref="Inputs"/> and <see cref="Targets"/> with the next batch.</summary>
    public void Next()
    {
        var range = _tokens.Length - Time;
        for (var b = 0; b < Batch; b++)
        {
            var start = _rng.NextInt(range);
            _tokens.AsSpan(start, Time).CopyTo(Inputs.AsSpan(b * Time, Time));
            _tokens.AsSpan(start + 1, Time).CopyTo(Targets.AsSpan(b * Time, Time));
        }
    }
}
