using System.Globalization;

namespace AutoResearch.Core.Running;

/// <summary>
/// Watches a run's pace from its progress lines and says when it cannot finish before the hard timeout: at the pace it has
/// kept since its first progress line, the rest of the run would end well past the limit. Such a run would time out anyway
/// (a timed-out run has no metric), so stopping it early loses nothing and saves the rest of the timeout. It matters where
/// the budget is work, not time (a token budget): a much bigger model proposed by the search runs at a fraction of the speed.
/// </summary>
/// <remarks>
/// Cautious by design: it judges only after <see cref="MinProgress"/>% of the run and <see cref="MinElapsedShare"/> of the
/// timeout have passed, needs the projection over the limit by <see cref="Margin"/> on <see cref="Confirmations"/> points in a
/// row, and measures the pace from the first progress line on (compilation and start-up before it do not count against it).
/// </remarks>
public sealed class PaceWatch
{
    /// <summary>Progress (percent) before the pace is judged.</summary>
    public const double MinProgress = 10;

    /// <summary>Share of the timeout that must have passed before the pace is judged.</summary>
    public const double MinElapsedShare = 0.1;

    /// <summary>How far past the timeout the projected end must be.</summary>
    public const double Margin = 1.25;

    /// <summary>Consecutive progress points whose projection must be over.</summary>
    public const int Confirmations = 2;

    private readonly TimeSpan _timeout;
    private (double Progress, TimeSpan At)? _first;
    private int _over;

    /// <param name="timeout">The run's hard timeout, counted from its start.</param>
    public PaceWatch(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "the timeout must be positive");
        }

        _timeout = timeout;
    }

    /// <summary>Why the run was judged unable to finish, once it was.</summary>
    public string? Reason { get; private set; }

    /// <summary>
    /// Takes the progress (percent) printed at <paramref name="elapsed"/> since the run started; true when the run cannot
    /// finish in time (then <see cref="Reason"/> says why).
    /// </summary>
    public bool Observe(double progress, TimeSpan elapsed)
    {
        if (Reason is not null)
        {
            return true;
        }

        if (!double.IsFinite(progress) || progress is <= 0 or > 100)
        {
            return false;
        }

        if (_first is not { } first)
        {
            _first = (progress, elapsed);
            return false;
        }

        if (progress <= first.Progress || progress < MinProgress || elapsed < _timeout * MinElapsedShare || elapsed <= first.At)
        {
            return false;
        }

        var secondsPerPercent = (elapsed - first.At).TotalSeconds / (progress - first.Progress);
        var projected = elapsed.TotalSeconds + (secondsPerPercent * (100 - progress));
        if (projected <= _timeout.TotalSeconds * Margin)
        {
            _over = 0;
            return false;
        }

        if (++_over < Confirmations)
        {
            return false;
        }

        Reason = string.Create(CultureInfo.InvariantCulture,
            $"stopped at {progress:0.#}% after {elapsed.TotalSeconds:0} s: at this pace it needs about {projected:0} s, over the {_timeout.TotalSeconds:0} s timeout ([run] timeout_seconds)");
        return true;
    }
}
