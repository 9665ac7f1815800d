using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace AutoResearch.Nn.Kernels;

/// <summary>
/// Fused causal self-attention. Shapes: <c>qkv [B, T, 3C]</c> (queries, keys, values side by side),
/// <c>out [B, T, C]</c>, <c>probs [B, H, T, T]</c>, <c>C = H D</c>. For each batch b, head h and
/// position t: <c>p = softmax_{s &lt;= t}(q_t · k_s / sqrt(D))</c>, <c>out_t = sum_s p_s v_s</c>. Only the
/// causal half is computed (and, in <c>probs</c>, written). With rotary embeddings q and k are rotated
/// first (see <see cref="Rotary"/>). Work is split by (b, h), each writing its own columns.
/// </summary>
internal static unsafe class Attention
{
    private static readonly ForwardJob s_forward = new();
    private static readonly BackwardJob s_backward = new();

    /// <summary>Forward pass. <paramref name="cos"/> and <paramref name="sin"/> are empty without rotary embeddings.</summary>
    public static void Forward(Span<float> output, Span<float> probs, ReadOnlySpan<float> qkv, int b, int t, int c, int h,
        ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        Check(output.Length, probs.Length, qkv.Length, b, t, c, h);
        fixed (float* po = output)
        fixed (float* pp = probs)
        fixed (float* pq = qkv)
        fixed (float* pcos = cos)
        fixed (float* psin = sin)
        {
            var job = s_forward;
            job.Set(b, t, c, h, pq, po, pp, null, cos.IsEmpty ? null : pcos, psin);
            WorkerPool.Shared.Run(job, b * h);
        }
    }

    /// <summary>Backward pass; accumulates into <paramref name="dqkv"/>.</summary>
    public static void Backward(Span<float> dqkv, ReadOnlySpan<float> dout, ReadOnlySpan<float> qkv, ReadOnlySpan<float> probs,
        int b, int t, int c, int h, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        Check(dout.Length, probs.Length, qkv.Length, b, t, c, h);
        if (dqkv.Length != qkv.Length)
        {
            throw new ArgumentException("dqkv and qkv differ in length", nameof(dqkv));
        }

        fixed (float* pd = dqkv)
        fixed (float* pdo = dout)
        fixed (float* pp = probs)
        fixed (float* pq = qkv)
        fixed (float* pcos = cos)
        fixed (float* psin = sin)
        {
            var job = s_backward;
            job.Set(b, t, c, h, pq, pdo, pp, pd, cos.IsEmpty ? null : pcos, psin);
            WorkerPool.Shared.Run(job, b * h);
        }
    }

    /// <summary>Forward pass with full T×T scores and a mask, in double: the reference for tests.</summary>
    public static void ForwardReference(Span<float> output, ReadOnlySpan<float> qkv, int b, int t, int c, int h, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        var d = c / h;
        var q = new float[d];
        var k = new float[d];
        var scores = new double[t];
        for (var bi = 0; bi < b; bi++)
        {
            for (var hi = 0; hi < h; hi++)
            {
                for (var i = 0; i < t; i++)
                {
                    LoadHead(q, qkv, bi, i, t, c, hi * d, cos, sin);
                    var max = double.NegativeInfinity;
                    for (var j = 0; j < t; j++)
                    {
                        if (j > i)
                        {
                            scores[j] = double.NegativeInfinity;
                            continue;
                        }

                        LoadHead(k, qkv, bi, j, t, c, c + (hi * d), cos, sin);
                        double s = 0;
                        for (var e = 0; e < d; e++)
                        {
                            s += (double)q[e] * k[e];
                        }

                        scores[j] = s / Math.Sqrt(d);
                        max = Math.Max(max, scores[j]);
                    }

                    double sum = 0;
                    for (var j = 0; j < t; j++)
                    {
                        scores[j] = Math.Exp(scores[j] - max);
                        sum += scores[j];
                    }

                    for (var e = 0; e < d; e++)
                    {
                        double acc = 0;
                        for (var j = 0; j <= i; j++)
                        {
                            acc += scores[j] / sum * qkv[((bi * t + j) * 3 * c) + (2 * c) + (hi * d) + e];
                        }

                        output[((bi * t + i) * c) + (hi * d) + e] = (float)acc;
                    }
                }
            }
        }
    }

    private static void LoadHead(Span<float> dst, ReadOnlySpan<float> qkv, int bi, int ti, int t, int c, int offset, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        var src = qkv.Slice(((bi * t + ti) * 3 * c) + offset, dst.Length);
        if (cos.IsEmpty)
        {
            src.CopyTo(dst);
        }
        else
        {
            Rotary.Rotate(dst, src, cos, sin, ti, inverse: false);
        }
    }

    private static void Check(int outLen, int probsLen, int qkvLen, int b, int t, int c, int h)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(b);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(t);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(h);
        if (c % h != 0 || outLen != b * t * c || qkvLen != 3 * outLen || probsLen != b * h * t * t)
        {
            throw new ArgumentException($"attention shapes disagree: B {b}, T {t}, C {c}, H {h}, out {outLen}, qkv {qkvLen}, probs {probsLen}");
        }
    }

    private static int Pad8(int n) => (n + 7) & ~7;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axpy(float a, float* x, float* y, int n)
    {
        var av = Vector256.Create(a);
        var i = 0;
        for (; i <= n - 8; i += 8)
        {
            Vector256.Store(Vector256.FusedMultiplyAdd(av, Vector256.Load(x + i), Vector256.Load(y + i)), y + i);
        }

        for (; i < n; i++)
        {
            y[i] += a * x[i];
        }
    }

    // s[0..n) = sum_e q[e] * kt[e*stride + 0..n), computed in blocks of 8 (kt is zero-padded to stride).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowTimesTransposed(float* s, float* q, float* kt, int stride, int n, int d)
    {
        var j = 0;
        for (; j + 16 <= Pad8(n); j += 16)
        {
            var a0 = Vector256<float>.Zero;
            var a1 = Vector256<float>.Zero;
            for (var e = 0; e < d; e++)
            {
                var qe = Vector256.Create(q[e]);
                var row = kt + ((long)e * stride) + j;
                a0 = Vector256.FusedMultiplyAdd(qe, Vector256.Load(row), a0);
                a1 = Vector256.FusedMultiplyAdd(qe, Vector256.Load(row + 8), a1);
            }

            Vector256.Store(a0, s + j);
            Vector256.Store(a1, s + j + 8);
        }

        for (; j < n; j += 8)
        {
            var a0 = Vector256<float>.Zero;
            for (var e = 0; e < d; e++)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Create(q[e]), Vector256.Load(kt + ((long)e * stride) + j), a0);
            }

            Vector256.Store(a0, s + j);
        }
    }

    private abstract class HeadJob : ParallelJob
    {
        private float[][] _scratch = [];
        protected int B, T, C, H, D, Stride;
        protected float* Qkv, Out, Probs, Dqkv, Cos, Sin;

        public void Set(int b, int t, int c, int h, float* qkv, float* outOrDout, float* probs, float* dqkv, float* cos, float* sin)
        {
            (B, T, C, H, D, Stride) = (b, t, c, h, c / h, Pad8(t));
            Qkv = qkv;
            Out = outOrDout;
            Probs = probs;
            Dqkv = dqkv;
            Cos = cos;
            Sin = sin;
            var need = (6 * T * D) + (D * Stride) + Stride + D;
            var threads = WorkerPool.Shared.Threads;
            if (_scratch.Length < threads || _scratch[0].Length < need)
            {
                _scratch = new float[threads][];
                for (var i = 0; i < threads; i++)
                {
                    _scratch[i] = GC.AllocateArray<float>(need, pinned: true);
                }
            }
        }

        protected float* Scratch(int worker) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_scratch[worker]));

        // Copies head rows of q (offset 0) or k (offset C) for (b, h), rotated when tables are given, times scale.
        protected void LoadRows(float* dst, int b, int h, int offset, float scale)
        {
            for (var t = 0; t < T; t++)
            {
                var src = Qkv + ((long)(b * T + t) * 3 * C) + offset + (h * D);
                var row = dst + ((long)t * D);
                if (Cos == null)
                {
                    for (var e = 0; e < D; e++)
                    {
                        row[e] = src[e] * scale;
                    }
                }
                else
                {
                    Rotary.Rotate(new Span<float>(row, D), new ReadOnlySpan<float>(src, D), new ReadOnlySpan<float>(Cos, T * D / 2),
                        new ReadOnlySpan<float>(Sin, T * D / 2), t, inverse: false);
                    for (var e = 0; e < D; e++)
                    {
                        row[e] *= scale;
                    }
                }
            }
        }

        // dst[e*Stride + t] = rows[t*D + e], zero-padded to Stride.
        protected void Transpose(float* dst, float* rows)
        {
            for (var e = 0; e < D; e++)
            {
                var line = dst + ((long)e * Stride);
                for (var t = 0; t < T; t++)
                {
                    line[t] = rows[(t * D) + e];
                }

                for (var t = T; t < Stride; t++)
                {
                    line[t] = 0;
                }
            }
        }

        protected void LoadValues(float* dst, int b, int h)
        {
            for (var t = 0; t < T; t++)
            {
                Buffer.MemoryCopy(Qkv + ((long)(b * T + t) * 3 * C) + (2 * C) + (h * D), dst + ((long)t * D), D * 4L, D * 4L);
            }
        }
    }

    private sealed class ForwardJob : HeadJob
    {
        public override void Execute(int index, int worker)
        {
            var b = index / H;
            var h = index % H;
            var s = Scratch(worker);
            var q = s;
            var k = q + (T * D);
            var v = k + (T * D);
            var kt = v + (T * D);
            var scores = kt + (D * Stride);
            var acc = scores + Stride;
            var scale = 1f / MathF.Sqrt(D);
            LoadRows(q, b, h, 0, scale);
            LoadRows(k, b, h, C, 1f);
            LoadValues(v, b, h);
            Transpose(kt, k);
            for (var t = 0; t < T; t++)
            {
                var n = t + 1;
                RowTimesTransposed(scores, q + ((long)t * D), kt, Stride, n, D);
                var max = float.NegativeInfinity;
                for (var j = 0; j < n; j++)
                {
                    max = MathF.Max(max, scores[j]);
                }

                var span = new Span<float>(scores, n);
                System.Numerics.Tensors.TensorPrimitives.Subtract(span, max, span);
                System.Numerics.Tensors.TensorPrimitives.Exp(span, span);
                var inv = 1f / System.Numerics.Tensors.TensorPrimitives.Sum(span);
                var p = Probs + ((((long)b * H) + h) * T * T) + ((long)t * T);
                System.Numerics.Tensors.TensorPrimitives.Multiply(span, inv, new Span<float>(p, n));
                new Span<float>(acc, D).Clear();
                for (var j = 0; j < n; j++)
                {
                    Axpy(p[j], v + ((long)j * D), acc, D);
                }

                Buffer.MemoryCopy(acc, Out + ((long)(b * T + t) * C) + (h * D), D * 4L, D * 4L);
            }
        }
    }

    private sealed class BackwardJob : HeadJob
    {
        public override void Execute(int index, int worker)
        {
            var b = index / H;
            var h = index % H;
            var s = Scratch(worker);
            var q = s;
            var k = q + (T * D);
            var v = k + (T * D);
            var dq = v + (T * D);
            var dk = dq + (T * D);
            var dv = dk + (T * D);
            var vt = dv + (T * D);
            var dp = vt + (D * Stride);
            var tmp = dp + Stride;
            var scale = 1f / MathF.Sqrt(D);
            LoadRows(q, b, h, 0, scale);
            LoadRows(k, b, h, C, 1f);
            LoadValues(v, b, h);
            Transpose(vt, v);
            new Span<float>(dq, 3 * T * D).Clear();
            for (var t = 0; t < T; t++)
            {
                var n = t + 1;
                var dout = Out + ((long)(b * T + t) * C) + (h * D);
                var p = Probs + ((((long)b * H) + h) * T * T) + ((long)t * T);
                RowTimesTransposed(dp, dout, vt, Stride, n, D);
                var dot = System.Numerics.Tensors.TensorPrimitives.Dot(new ReadOnlySpan<float>(p, n), new ReadOnlySpan<float>(dp, n));
                var qt = q + ((long)t * D);
                var dqt = dq + ((long)t * D);
                for (var j = 0; j < n; j++)
                {
                    var ds = p[j] * (dp[j] - dot);
                    Axpy(ds, k + ((long)j * D), dqt, D);
                    Axpy(ds, qt, dk + ((long)j * D), D);
                    Axpy(p[j], dout, dv + ((long)j * D), D);
                }
            }

            var cos = new ReadOnlySpan<float>(Cos, Cos == null ? 0 : T * D / 2);
            var sin = new ReadOnlySpan<float>(Sin, Sin == null ? 0 : T * D / 2);
            for (var t = 0; t < T; t++)
            {
                var baseRow = Dqkv + ((long)(b * T + t) * 3 * C) + (h * D);
                Accumulate(baseRow, dq + ((long)t * D), scale, tmp, cos, sin, t);
                Accumulate(baseRow + C, dk + ((long)t * D), 1f, tmp, cos, sin, t);
                Accumulate(baseRow + (2 * C), dv + ((long)t * D), 1f, null, default, default, t);
            }
        }

        private void Accumulate(float* dst, float* src, float scale, float* tmp, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, int t)
        {
            if (tmp != null && !cos.IsEmpty)
            {
                Rotary.Rotate(new Span<float>(tmp, D), new ReadOnlySpan<float>(src, D), cos, sin, t, inverse: true);
                src = tmp;
            }

            Axpy(scale, src, dst, D);
        }
    }
}
