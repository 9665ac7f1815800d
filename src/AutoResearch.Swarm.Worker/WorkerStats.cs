namespace AutoResearch.Swarm.Worker;

/// <summary>What a worker has done so far (thread-safe counters).</summary>
public sealed class WorkerStats
{
    private long _explorations, _claims, _verifications, _measurements, _exploreRuns, _verifyRuns, _errors;

    public long Explorations => Interlocked.Read(ref _explorations);

    public long Claims => Interlocked.Read(ref _claims);

    public long Verifications => Interlocked.Read(ref _verifications);

    /// <summary>Runs of the unchanged head the coordinator asked for to measure the noise.</summary>
    public long Measurements => Interlocked.Read(ref _measurements);

    /// <summary>Runs spent exploring (compute).</summary>
    public long ExploreRuns => Interlocked.Read(ref _exploreRuns);

    /// <summary>Runs spent verifying others' claims and measuring the noise (compute that is not exploring).</summary>
    public long VerifyRuns => Interlocked.Read(ref _verifyRuns);

    /// <summary>Refusals and give-ups the worker survived.</summary>
    public long Errors => Interlocked.Read(ref _errors);

    internal void Explored(int runs, bool claimed)
    {
        Interlocked.Increment(ref _explorations);
        Interlocked.Add(ref _exploreRuns, runs);
        if (claimed)
        {
            Interlocked.Increment(ref _claims);
        }
    }

    internal void Verified(int runs)
    {
        Interlocked.Increment(ref _verifications);
        Interlocked.Add(ref _verifyRuns, runs);
    }

    internal void Measured(int runs)
    {
        Interlocked.Increment(ref _measurements);
        Interlocked.Add(ref _verifyRuns, runs);
    }

    internal void Failed() => Interlocked.Increment(ref _errors);
}
