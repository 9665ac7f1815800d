namespace AutoResearch.Nn.Kernels;

/// <summary>
/// Splits work over a fixed number of chunks, independent of the thread count, so that reductions summed
/// per chunk and then in chunk order give the same bits on any number of threads.
/// </summary>
internal static class Chunks
{
    /// <summary>Chunks for a parallel kernel over <paramref name="items"/> items (1 when too small to be worth it).</summary>
    public static int For(long items, long minPerChunk = 16384, int max = 8) =>
        (int)Math.Clamp(items / minPerChunk, 1, max);

    /// <summary>The item range [start, end) of chunk <paramref name="index"/> of <paramref name="chunks"/>.</summary>
    public static (int Start, int End) Range(int index, int chunks, int items)
    {
        var start = (int)((long)items * index / chunks);
        var end = (int)((long)items * (index + 1) / chunks);
        return (start, end);
    }
}
