using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace AutoResearch.Nn.Kernels;

/// <summary>
/// Row softmax and the fused log-softmax cross-entropy. Shapes: <c>x, y, logits [N, V]</c>,
/// <c>targets [N]</c>. Every softmax subtracts the row maximum first.
/// </summary>
internal static unsafe class Softmax
{
    private static CrossEntropyJob CrossEntropy => CrossEntropyPerThread.Value!;

    // One instance per calling thread: kernels may be called from several threads at once (tests do).
    private static ThreadLocal<CrossEntropyJob> CrossEntropyPerThread { get; } = new(() => new CrossEntropyJob());

    private static float[] RowScratch { get => RowScratchPerThread.Value!; set => RowScratchPerThread.Value = value; }

    private static ThreadLocal<float[]> RowScratchPerThread { get; } = new(() => []);

    /// <summary><c>y[r] = exp(x[r] - max) / sum(exp(x[r] - max))</c> for each row of length <paramref name="v"/>.</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, int v)
    {
        for (var r = 0; r < x.Length / v; r++)
        {
            var xr = x.Slice(r * v, v);
            var yr = y.Slice(r * v, v);
            TensorPrimitives.Subtract(xr, TensorPrimitives.Max(xr), yr);
            TensorPrimitives.Exp(yr, yr);
            TensorPrimitives.Multiply(yr, 1f / TensorPrimitives.Sum(yr), yr);
        }
    }

    /// <summary>Softmax backward from the outputs: <c>dx += y (dy - sum(y dy))</c>.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> y, int v)
    {
        for (var r = 0; r < y.Length / v; r++)
        {
            var yr = y.Slice(r * v, v);
            var dyr = dy.Slice(r * v, v);
            var dxr = dx.Slice(r * v, v);
            var dot = TensorPrimitives.Dot(yr, dyr);
            for (var j = 0; j < v; j++)
            {
                dxr[j] += yr[j] * (dyr[j] - dot);
            }
        }
    }

    /// <summary>
    /// Cross-entropy forward: <c>rowLoss[r] = logsumexp(logits[r]) - logits[r, targets[r]]</c> (nats), and
    /// <c>lse[r]</c> saved for the backward pass. Returns the mean over rows, summed in double in row order.
    /// Parallel over rows.
    /// </summary>
    public static float CrossEntropyForward(Span<float> lse, Span<float> rowLoss, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int v)
    {
        var n = targets.Length;
        if (logits.Length != n * v || lse.Length < n || rowLoss.Length < n)
        {
            throw new ArgumentException($"logits hold {logits.Length} values, expected {n}x{v}", nameof(logits));
        }

        foreach (var t in targets)
        {
            if ((uint)t >= (uint)v)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), t, $"a target is outside [0, {v})");
            }
        }

        RunCrossEntropy(backward: false, lse, rowLoss, logits, targets, v, 0, overwrite: false);
        double total = 0;
        for (var r = 0; r < n; r++)
        {
            total += rowLoss[r];
        }

        return (float)(total / n);
    }

    /// <summary>Cross-entropy backward: <c>dlogits[r] += (softmax(logits[r]) - onehot(targets[r])) * scale</c>. Parallel over rows.</summary>
    public static void CrossEntropyBackward(Span<float> dlogits, ReadOnlySpan<float> logits, ReadOnlySpan<float> lse, ReadOnlySpan<int> targets, int v, float scale, bool overwrite = false)
    {
        if (dlogits.Length != logits.Length || logits.Length != targets.Length * v)
        {
            throw new ArgumentException($"cross-entropy backward shapes disagree: dlogits {dlogits.Length}, logits {logits.Length}, {targets.Length}x{v}");
        }

        RunCrossEntropy(backward: true, dlogits, MemoryMarshal.CreateSpan(ref MemoryMarshal.GetReference(lse), lse.Length), logits, targets, v, scale, overwrite);
    }

    private static void RunCrossEntropy(bool backward, Span<float> a, Span<float> b, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int v, float scale, bool overwrite)
    {
        var n = targets.Length;
        var chunks = Chunks.For(logits.Length);
        if (RowScratch.Length < chunks * v)
        {
            RowScratch = GC.AllocateArray<float>(chunks * v, pinned: true);
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pl = logits)
        fixed (int* pt = targets)
        fixed (float* scratch = RowScratch)
        {
            var job = CrossEntropy;
            job.Set(backward, pa, pb, pl, pt, scratch, n, v, chunks, scale);
            job.Overwrite = overwrite;
            WorkerPool.Shared.Run(job, chunks);
        }
    }

    private static void ForwardRows(float* lse, float* rowLoss, float* logits, int* targets, float* scratch, int v, int r0, int r1)
    {
        var tmp = new Span<float>(scratch, v);
        for (var r = r0; r < r1; r++)
        {
            var xr = new ReadOnlySpan<float>(logits + ((long)r * v), v);
            var m = TensorPrimitives.Max(xr);
            TensorPrimitives.Subtract(xr, m, tmp);
            TensorPrimitives.Exp(tmp, tmp);
            lse[r] = m + MathF.Log(TensorPrimitives.Sum(tmp));
            rowLoss[r] = lse[r] - xr[targets[r]];
        }
    }

    private static void BackwardRows(float* dlogits, float* lse, float* logits, int* targets, float* scratch, int v, float scale, int r0, int r1, bool overwrite)
    {
        var tmp = new Span<float>(scratch, v);
        for (var r = r0; r < r1; r++)
        {
            var dr = new Span<float>(dlogits + ((long)r * v), v);
            TensorPrimitives.Subtract(new ReadOnlySpan<float>(logits + ((long)r * v), v), lse[r], tmp);
            TensorPrimitives.Exp(tmp, tmp);
            if (overwrite)
            {
                TensorPrimitives.Multiply(tmp, scale, dr);
            }
            else
            {
                TensorPrimitives.MultiplyAdd(tmp, scale, dr, dr);
            }

            dr[targets[r]] -= scale;
        }
    }

    /// <summary>Mean cross-entropy in double precision, the reference for tests.</summary>
    public static double CrossEntropyReference(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int v)
    {
        double total = 0;
        for (var r = 0; r < targets.Length; r++)
        {
            double m = double.NegativeInfinity, s = 0;
            for (var j = 0; j < v; j++)
            {
                m = Math.Max(m, logits[r * v + j]);
            }

            for (var j = 0; j < v; j++)
            {
                s += Math.Exp(logits[r * v + j] - m);
            }

            total += m + Math.Log(s) - logits[r * v + targets[r]];
        }

        return total / targets.Length;
    }

    /// <summary>Row softmax in double precision, the reference for tests.</summary>
    public static void ForwardReference(Span<float> y, ReadOnlySpan<float> x, int v)
    {
        for (var r = 0; r < x.Length / v; r++)
        {
            double m = double.NegativeInfinity, s = 0;
            for (var j = 0; j < v; j++)
            {
                m = Math.Max(m, x[r * v + j]);
            }

            for (var j = 0; j < v; j++)
            {
                s += Math.Exp(x[r * v + j] - m);
            }

            for (var j = 0; j < v; j++)
            {
                y[r * v + j] = (float)(Math.Exp(x[r * v + j] - m) / s);
            }
        }
    }

    private sealed class CrossEntropyJob : ParallelJob
    {
        public bool Overwrite { get; set; }

        private float* _a, _b, _logits, _scratch;
        private int* _targets;
        private int _n, _v, _chunks;
        private float _scale;
        private bool _backward;

        public void Set(bool backward, float* a, float* b, float* logits, int* targets, float* scratch, int n, int v, int chunks, float scale)
        {
            _a = a;
            _b = b;
            _logits = logits;
            _targets = targets;
            _scratch = scratch;
            (_backward, _n, _v, _chunks, _scale) = (backward, n, v, chunks, scale);
        }

        public override void Execute(int index, int worker)
        {
            var (r0, r1) = Chunks.Range(index, _chunks, _n);
            var scratch = _scratch + ((long)index * _v);
            if (_backward)
            {
                BackwardRows(_a, _b, _logits, _targets, scratch, _v, _scale, r0, r1, Overwrite);
            }
            else
            {
                ForwardRows(_a, _b, _logits, _targets, scratch, _v, r0, r1);
            }
        }
    }
}
