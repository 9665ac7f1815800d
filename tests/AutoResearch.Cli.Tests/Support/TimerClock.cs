namespace AutoResearch.Cli.Tests.Support;

/// <summary>A clock the test moves by hand whose timers fire as it passes their due times, on the test's thread.</summary>
internal sealed class TimerClock : TimeProvider
{
    private readonly List<Timer> _timers = [];
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UnixEpoch.AddTicks(_ticks);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state, period) { Due = _ticks + dueTime.Ticks };
        lock (_timers)
        {
            _timers.Add(timer);
        }

        return timer;
    }

    /// <summary>Moves the clock on by <paramref name="by"/>, firing each timer as often as its period passes.</summary>
    public void Advance(TimeSpan by)
    {
        var end = _ticks + by.Ticks;
        while (true)
        {
            Timer? next;
            lock (_timers)
            {
                next = _timers.Where(t => !t.Disposed && t.Due <= end).MinBy(t => t.Due);
            }

            if (next is null)
            {
                break;
            }

            _ticks = next.Due;
            next.Due = next.Period > TimeSpan.Zero ? next.Due + next.Period.Ticks : long.MaxValue;
            next.Fire();
        }

        _ticks = end;
    }

    private sealed class Timer(TimerClock clock, TimerCallback callback, object? state, TimeSpan period) : ITimer
    {
        public long Due { get; set; }

        public TimeSpan Period { get; private set; } = period;

        public bool Disposed { get; private set; }

        public void Fire() => callback(state);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Due = clock._ticks + dueTime.Ticks;
            Period = period;
            return true;
        }

        public void Dispose() => Disposed = true;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
