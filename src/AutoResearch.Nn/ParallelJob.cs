namespace AutoResearch.Nn;

/// <summary>
/// A unit of parallel work: <see cref="Execute"/> runs once for each index in [0, count).
/// Kernels keep one instance per job kind and refill its fields, so dispatching allocates nothing.
/// </summary>
internal abstract class ParallelJob
{
    /// <summary>Runs chunk <paramref name="index"/> on worker <paramref name="worker"/> (0 is the calling thread).</summary>
    public abstract void Execute(int index, int worker);
}
