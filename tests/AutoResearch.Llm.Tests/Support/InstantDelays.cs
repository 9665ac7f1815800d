namespace AutoResearch.Llm.Tests.Support;

/// <summary>
/// A clock whose short timers (up to <see cref="Limit"/>: the retry waits) fire at once and are recorded, so a test
/// sees exactly how long the proposer chose to wait without waiting. Longer timers (the per-request timeout) run on
/// the real clock.
/// </summary>
internal sealed class InstantDelays(TimeSpan limit) : TimeProvider
{
    private readonly List<TimeSpan> _waits = [];

    public TimeSpan Limit { get; } = limit;

    /// <summary>The waits asked for, in order.</summary>
    public IReadOnlyList<TimeSpan> Waits
    {
        get
        {
            lock (_waits)
            {
                return [.. _waits];
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime > Limit || dueTime == Timeout.InfiniteTimeSpan)
        {
            return System.CreateTimer(callback, state, dueTime, period);
        }

        lock (_waits)
        {
            _waits.Add(dueTime);
        }

        return System.CreateTimer(callback, state, TimeSpan.Zero, period);
    }
}
