using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace AutoResearch.Nn.Kernels;

/// <summary>
/// Memory-bound bulk operations split over the worker pool: clearing many buffers at once, and
/// elementwise sums. Shapes: <c>a, y [N]</c>, <c>b [M]</c> with M dividing N (b repeats).
/// </summary>
internal static unsafe class Bulk
{
    private static ClearJob ClearWork => ClearWorkPerThread.Value!;

    // One instance per calling thread: kernels may be called from several threads at once (tests do).
    private static ThreadLocal<ClearJob> ClearWorkPerThread { get; } = new(() => new ClearJob());

    private static AddJob AddWork => AddWorkPerThread.Value!;

    private static ThreadLocal<AddJob> AddWorkPerThread { get; } = new(() => new AddJob());

    /// <summary>Sets every element of every array in <paramref name="buffers"/> to zero, in parallel.</summary>
    public static void Clear(List<float[]> buffers)
    {
        long total = 0;
        foreach (var b in buffers)
        {
            total += b.Length;
        }

        var chunks = Chunks.For(total, 1 << 16, 16);
        if (chunks == 1)
        {
            foreach (var b in buffers)
            {
                Array.Clear(b);
            }

            return;
        }

        ClearWork.Set(buffers, total, chunks);
        WorkerPool.Shared.Run(ClearWork, chunks);
    }

    /// <summary><c>y = a + b</c> with <paramref name="b"/> repeated over <paramref name="a"/>; y may alias a.</summary>
    public static void Add(Span<float> y, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (y.Length != a.Length || b.IsEmpty || a.Length % b.Length != 0)
        {
            throw new ArgumentException($"cannot add {b.Length} values repeated over {a.Length} into {y.Length}");
        }

        var chunks = Chunks.For(a.Length);
        fixed (float* py = y)
        fixed (float* pa = a)
        fixed (float* pb = b)
        {
            AddWork.Set(py, pa, pb, a.Length, b.Length, chunks);
            WorkerPool.Shared.Run(AddWork, chunks);
        }
    }

    /// <summary>The scalar loop <see cref="Add"/> is tested against.</summary>
    public static void AddReference(Span<float> y, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            y[i] = a[i] + b[i % b.Length];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddRange(float* y, float* a, float* b, int m, int start, int end)
    {
        // Walk [start, end) in pieces that stay inside one repeat of b.
        var i = start;
        while (i < end)
        {
            var j = i % m;
            var len = Math.Min(end - i, m - j);
            var k = FloatVectors.Width switch
            {
                8 => AddVectors<Wide>(y + i, a + i, b + j, len),
                4 => AddVectors<Narrow>(y + i, a + i, b + j, len),
                _ => 0,
            };

            for (; k < len; k++)
            {
                y[i + k] = a[i + k] + b[j + k];
            }

            i += len;
        }
    }

    // y = a + b over the whole vectors of [0, n); returns where the scalar tail starts.
    private static int AddVectors<TV>(float* y, float* a, float* b, int n)
        where TV : unmanaged, IFloatVector<TV>
    {
        var k = 0;
        for (; k + TV.Count <= n; k += TV.Count)
        {
            TV.Store(TV.Load(a + k) + TV.Load(b + k), y + k);
        }

        return k;
    }

    private sealed class ClearJob : ParallelJob
    {
        private List<float[]> _buffers = [];
        private long _total;
        private int _chunks;

        public void Set(List<float[]> buffers, long total, int chunks) => (_buffers, _total, _chunks) = (buffers, total, chunks);

        public override void Execute(int index, int worker)
        {
            var start = _total * index / _chunks;
            var end = _total * (index + 1) / _chunks;
            long offset = 0;
            foreach (var b in _buffers)
            {
                var lo = Math.Max(start, offset);
                var hi = Math.Min(end, offset + b.Length);
                if (lo < hi)
                {
                    b.AsSpan((int)(lo - offset), (int)(hi - lo)).Clear();
                }

                offset += b.Length;
                if (offset >= end)
                {
                    break;
                }
            }
        }
    }

    private sealed class AddJob : ParallelJob
    {
        private float* _y, _a, _b;
        private int _n, _m, _chunks;

        public void Set(float* y, float* a, float* b, int n, int m, int chunks)
        {
            _y = y;
            _a = a;
            _b = b;
            (_n, _m, _chunks) = (n, m, chunks);
        }

        public override void Execute(int index, int worker)
        {
            var (start, end) = Chunks.Range(index, _chunks, _n);
            AddRange(_y, _a, _b, _m, start, end);
        }
    }
}
