using System.Diagnostics;

namespace AutoResearch.TinyGpt;

/// <summary>
/// The training budget: seconds of wall-clock training (the default) or a number of tokens (deterministic).
/// The clock starts at the first call to <see cref="Start"/> or <see cref="Add"/>, so compilation and
/// setup are not counted.
/// </summary>
public sealed class Budget
{
    private readonly Stopwatch _clock = new();

    internal Budget(double? seconds, long? tokens)
    {
        (Seconds, Tokens) = (tokens is null ? seconds : null, tokens);
    }

    /// <summary>The time budget in seconds, or null for a token budget.</summary>
    public double? Seconds { get; }

    /// <summary>The token budget, or null for a time budget.</summary>
    public long? Tokens { get; }

    /// <summary>Tokens trained on so far.</summary>
    public long TokensSeen { get; private set; }

    /// <summary>Seconds of training so far.</summary>
    public double Elapsed => _clock.Elapsed.TotalSeconds;

    /// <summary>Progress in [0, 1]: the fraction of the budget spent.</summary>
    public double Fraction => Math.Clamp(Tokens is { } t ? (double)TokensSeen / t : Elapsed / Seconds!.Value, 0, 1);

    /// <summary>Whether the budget is spent.</summary>
    public bool Done => Tokens is { } t ? TokensSeen >= t : Elapsed >= Seconds!.Value;

    /// <summary>Starts the clock (idempotent).</summary>
    public void Start()
    {
        if (!_clock.IsRunning)
        {
            _clock.Start();
        }
    }

    internal void Stop() => _clock.Stop();

    /// <summary>Counts <paramref name="tokens"/> more tokens trained on.</summary>
    public void Add(long tokens)
    {
        Start();
        TokensSeen += tokens;
    }
}
