namespace AutoResearch.Core.Running;

/// <summary>Load samples taken in the background while a run goes on; dispose to stop, then read <see cref="Mean"/>.</summary>
public sealed class LoadSampler : IAsyncDisposable
{
    private readonly MachineProbe _probe;
    private readonly List<double> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _disposed;

    internal LoadSampler(MachineProbe probe, TimeSpan interval)
    {
        _probe = probe;
        Add();
        _loop = LoopAsync(interval);
    }

    /// <summary>The mean of the samples so far, null when the load could not be read.</summary>
    public double? Mean
    {
        get
        {
            lock (_samples)
            {
                return _samples.Count > 0 ? _samples.Average() : null;
            }
        }
    }

    /// <summary>Takes a last sample and stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        Add();
        _stop.Dispose();
    }

    private void Add()
    {
        if (_probe.Load() is { } load && double.IsFinite(load))
        {
            lock (_samples)
            {
                _samples.Add(load);
            }
        }
    }

    private async Task LoopAsync(TimeSpan interval)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, _stop.Token).ConfigureAwait(false);
                Add();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped by DisposeAsync.
        }
    }
}
