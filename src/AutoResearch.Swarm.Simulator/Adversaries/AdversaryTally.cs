namespace AutoResearch.Swarm.Simulator.Adversaries;

/// <summary>One adversary kind's score: what it tried, what got through, what was caught.</summary>
internal sealed class AdversaryTally(AdversaryKind kind)
{
    private long _attempts, _accepted, _caught;

    public AdversaryKind Kind { get; } = kind;

    public long Attempts => Interlocked.Read(ref _attempts);

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Caught => Interlocked.Read(ref _caught);

    public void Attempt() => Interlocked.Increment(ref _attempts);

    public void Accept() => Interlocked.Increment(ref _accepted);

    public void Catch() => Interlocked.Increment(ref _caught);

    public void Set(long attempts, long accepted, long caught)
    {
        Interlocked.Exchange(ref _attempts, attempts);
        Interlocked.Exchange(ref _accepted, accepted);
        Interlocked.Exchange(ref _caught, caught);
    }
}
