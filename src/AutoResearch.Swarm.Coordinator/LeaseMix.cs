namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// The kinds of the last <see cref="Window"/> leases one worker was handed, to keep its verification within the budget
/// (<see cref="CoordinatorOptions.VerificationBudget"/>): per worker, so that keys which only ever explore (or only pretend to)
/// do not make room for more verification by the others. Kept in memory by each coordinator for the leases it hands out
/// (a coordinator that restarts starts every worker afresh). Thread-safe.
/// </summary>
internal sealed class LeaseMix
{
    /// <summary>How many recent leases the share is taken over.</summary>
    public const int Window = 20;

    private readonly bool[] _verify = new bool[Window];
    private readonly Lock _lock = new();
    private int _next;
    private int _count;
    private int _verifies;

    /// <summary>The share of the recent leases that were verification (0 before any).</summary>
    public double VerifyShare
    {
        get
        {
            lock (_lock)
            {
                return _count == 0 ? 0 : (double)_verifies / _count;
            }
        }
    }

    /// <summary>Records one lease handed out.</summary>
    public void Add(bool verify)
    {
        lock (_lock)
        {
            if (_count == Window)
            {
                _verifies -= _verify[_next] ? 1 : 0;
            }
            else
            {
                _count++;
            }

            _verify[_next] = verify;
            _verifies += verify ? 1 : 0;
            _next = (_next + 1) % Window;
        }
    }
}
