namespace AutoResearch.Swarm.Tests.Support;

/// <summary>A clock the test moves by hand (lease expiry, stale signatures) instead of waiting.</summary>
internal sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
