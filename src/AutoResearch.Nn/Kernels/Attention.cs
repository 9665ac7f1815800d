using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
    private static ForwardJob ForwardWork => ForwardWorkPerThread.Value!;

    // One instance per calling thread: kernels may be called from several threads at once (tests do).
    private static ThreadLocal<ForwardJob> ForwardWorkPerThread { get; } = new(() => new ForwardJob());

    private static BackwardJob BackwardWork => BackwardWorkPerThread.Value!;

    private static ThreadLocal<BackwardJob> BackwardWorkPerThread { get; } = new(() => new BackwardJob());

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
            var job = ForwardWork;
            job.Set(b, t, c, h, pq, po, pp, null, cos.IsEmpty ? null : pcos, psin);
            WorkerPool.Shared.Run(job, b * h);
        }
    }

    /// <summary>Backward pass; accumulates into <paramref name="dqkv"/>, or overwrites it (every element once) with <paramref name="overwrite"/>.</summary>
    public static void Backward(Span<float> dqkv, ReadOnlySpan<float> dout, ReadOnlySpan<float> qkv, ReadOnlySpan<float> probs,
        int b, int t, int c, int h, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, bool overwrite = false)
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
            var job = BackwardWork;
            job.Set(b, t, c, h, pq, pdo, pp, pd, cos.IsEmpty ? null : pcos, psin);
            job.Overwrite = overwrite;
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

    // The row and column helpers below are inlined into the jobs; a job body that calls too many of them exhausts the
    // JIT's inlining budget and the vector members are left as calls (twice the time), so the backward is split in two.
    // The jobs run them in the widest form of IFloatVector this machine accelerates (FloatVectors.Width).

    private static int Pad8(int n) => (n + 7) & ~7;

    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Axpy<TV>(float a, float* x, float* y, int n)
        where TV : unmanaged, IFloatVector<TV>
    {
        var av = TV.Create(a);
        var i = 0;
        for (; i <= n - TV.Count; i += TV.Count)
        {
            TV.Store(TV.MultiplyAdd(av, TV.Load(x + i), TV.Load(y + i)), y + i);
        }

        for (; i < n; i++)
        {
            y[i] += a * x[i];
        }
    }

    // dst[0..d) = sum_{i<count} coef[i*coefStride] * rows[i*rowStride + 0..d), accumulated in registers.
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Combine<TV>(float* coef, long coefStride, int count, float* rows, long rowStride, float* dst, int d)
        where TV : unmanaged, IFloatVector<TV>
    {
        var e = 0;
        for (; e + (4 * TV.Count) <= d; e += 4 * TV.Count)
        {
            TV a0 = default, a1 = default, a2 = default, a3 = default;
            TV b0 = default, b1 = default, b2 = default, b3 = default;
            var r = rows + e;
            var c = coef;
            var i = 0;
            for (; i + 2 <= count; i += 2)
            {
                var w = TV.Create(*c);
                a0 = TV.MultiplyAdd(w, TV.Load(r), a0);
                a1 = TV.MultiplyAdd(w, TV.Load(r + TV.Count), a1);
                a2 = TV.MultiplyAdd(w, TV.Load(r + (2 * TV.Count)), a2);
                a3 = TV.MultiplyAdd(w, TV.Load(r + (3 * TV.Count)), a3);
                r += rowStride;
                c += coefStride;
                w = TV.Create(*c);
                b0 = TV.MultiplyAdd(w, TV.Load(r), b0);
                b1 = TV.MultiplyAdd(w, TV.Load(r + TV.Count), b1);
                b2 = TV.MultiplyAdd(w, TV.Load(r + (2 * TV.Count)), b2);
                b3 = TV.MultiplyAdd(w, TV.Load(r + (3 * TV.Count)), b3);
                r += rowStride;
                c += coefStride;
            }

            if (i < count)
            {
                var w = TV.Create(*c);
                a0 = TV.MultiplyAdd(w, TV.Load(r), a0);
                a1 = TV.MultiplyAdd(w, TV.Load(r + TV.Count), a1);
                a2 = TV.MultiplyAdd(w, TV.Load(r + (2 * TV.Count)), a2);
                a3 = TV.MultiplyAdd(w, TV.Load(r + (3 * TV.Count)), a3);
            }

            TV.Store(a0 + b0, dst + e);
            TV.Store(a1 + b1, dst + e + TV.Count);
            TV.Store(a2 + b2, dst + e + (2 * TV.Count));
            TV.Store(a3 + b3, dst + e + (3 * TV.Count));
        }

        for (; e + TV.Count <= d; e += TV.Count)
        {
            var a0 = TV.Zero;
            for (var i = 0; i < count; i++)
            {
                a0 = TV.MultiplyAdd(TV.Create(coef[i * coefStride]), TV.Load(rows + (i * rowStride) + e), a0);
            }

            TV.Store(a0, dst + e);
        }

        for (; e < d; e++)
        {
            var a = 0f;
            for (var i = 0; i < count; i++)
            {
                a += coef[i * coefStride] * rows[(i * rowStride) + e];
            }

            dst[e] = a;
        }
    }

    // Two combinations over the same rows: dst0 = sum_i c0[i*cs] rows[i], dst1 = sum_i c1[i*cs] rows[i].
    // Sharing the row loads halves the memory traffic of the single-row form.
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Combine2<TV>(float* c0, float* c1, long coefStride, int count, float* rows, long rowStride, float* dst0, float* dst1, int d)
        where TV : unmanaged, IFloatVector<TV>
    {
        var e = 0;
        for (; e + (4 * TV.Count) <= d; e += 4 * TV.Count)
        {
            TV a0 = default, a1 = default, a2 = default, a3 = default;
            TV b0 = default, b1 = default, b2 = default, b3 = default;
            var r = rows + e;
            for (var i = 0; i < count; i++)
            {
                var v0 = TV.Load(r);
                var v1 = TV.Load(r + TV.Count);
                var v2 = TV.Load(r + (2 * TV.Count));
                var v3 = TV.Load(r + (3 * TV.Count));
                var w = TV.Create(c0[i * coefStride]);
                a0 = TV.MultiplyAdd(w, v0, a0);
                a1 = TV.MultiplyAdd(w, v1, a1);
                a2 = TV.MultiplyAdd(w, v2, a2);
                a3 = TV.MultiplyAdd(w, v3, a3);
                w = TV.Create(c1[i * coefStride]);
                b0 = TV.MultiplyAdd(w, v0, b0);
                b1 = TV.MultiplyAdd(w, v1, b1);
                b2 = TV.MultiplyAdd(w, v2, b2);
                b3 = TV.MultiplyAdd(w, v3, b3);
                r += rowStride;
            }

            TV.Store(a0, dst0 + e);
            TV.Store(a1, dst0 + e + TV.Count);
            TV.Store(a2, dst0 + e + (2 * TV.Count));
            TV.Store(a3, dst0 + e + (3 * TV.Count));
            TV.Store(b0, dst1 + e);
            TV.Store(b1, dst1 + e + TV.Count);
            TV.Store(b2, dst1 + e + (2 * TV.Count));
            TV.Store(b3, dst1 + e + (3 * TV.Count));
        }

        for (; e < d; e++)
        {
            float s0 = 0, s1 = 0;
            for (var i = 0; i < count; i++)
            {
                var v = rows[(i * rowStride) + e];
                s0 += c0[i * coefStride] * v;
                s1 += c1[i * coefStride] * v;
            }

            dst0[e] = s0;
            dst1[e] = s1;
        }
    }

    // s0, s1 [0..Pad8(n)) = q0 · kt, q1 · kt for two query rows sharing the key loads.
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RowsTimesTransposed2<TV>(float* s0, float* s1, float* q0, float* q1, float* kt, int stride, int n, int d)
        where TV : unmanaged, IFloatVector<TV>
    {
        var j = 0;
        var end = Pad8(n);
        for (; j + (4 * TV.Count) <= end; j += 4 * TV.Count)
        {
            TV a0 = default, a1 = default, a2 = default, a3 = default;
            TV b0 = default, b1 = default, b2 = default, b3 = default;
            for (var e = 0; e < d; e++)
            {
                var row = kt + ((long)e * stride) + j;
                var k0 = TV.Load(row);
                var k1 = TV.Load(row + TV.Count);
                var k2 = TV.Load(row + (2 * TV.Count));
                var k3 = TV.Load(row + (3 * TV.Count));
                var w = TV.Create(q0[e]);
                a0 = TV.MultiplyAdd(w, k0, a0);
                a1 = TV.MultiplyAdd(w, k1, a1);
                a2 = TV.MultiplyAdd(w, k2, a2);
                a3 = TV.MultiplyAdd(w, k3, a3);
                w = TV.Create(q1[e]);
                b0 = TV.MultiplyAdd(w, k0, b0);
                b1 = TV.MultiplyAdd(w, k1, b1);
                b2 = TV.MultiplyAdd(w, k2, b2);
                b3 = TV.MultiplyAdd(w, k3, b3);
            }

            TV.Store(a0, s0 + j);
            TV.Store(a1, s0 + j + TV.Count);
            TV.Store(a2, s0 + j + (2 * TV.Count));
            TV.Store(a3, s0 + j + (3 * TV.Count));
            TV.Store(b0, s1 + j);
            TV.Store(b1, s1 + j + TV.Count);
            TV.Store(b2, s1 + j + (2 * TV.Count));
            TV.Store(b3, s1 + j + (3 * TV.Count));
        }

        // The last one to three vectors of columns: the depth split in two (and then in four) so that eight sums are in
        // flight, as in the blocks above; two chains alone would wait on the multiply-add's latency.
        for (; j + (2 * TV.Count) <= end; j += 2 * TV.Count)
        {
            TV a0 = default, a1 = default, b0 = default, b1 = default;
            TV c0 = default, c1 = default, d0 = default, d1 = default;
            var e = 0;
            for (; e + 2 <= d; e += 2)
            {
                var row = kt + ((long)e * stride) + j;
                var k0 = TV.Load(row);
                var k1 = TV.Load(row + TV.Count);
                var w0 = TV.Create(q0[e]);
                var w1 = TV.Create(q1[e]);
                a0 = TV.MultiplyAdd(w0, k0, a0);
                a1 = TV.MultiplyAdd(w0, k1, a1);
                b0 = TV.MultiplyAdd(w1, k0, b0);
                b1 = TV.MultiplyAdd(w1, k1, b1);
                row += stride;
                k0 = TV.Load(row);
                k1 = TV.Load(row + TV.Count);
                w0 = TV.Create(q0[e + 1]);
                w1 = TV.Create(q1[e + 1]);
                c0 = TV.MultiplyAdd(w0, k0, c0);
                c1 = TV.MultiplyAdd(w0, k1, c1);
                d0 = TV.MultiplyAdd(w1, k0, d0);
                d1 = TV.MultiplyAdd(w1, k1, d1);
            }

            for (; e < d; e++)
            {
                var row = kt + ((long)e * stride) + j;
                var k0 = TV.Load(row);
                var k1 = TV.Load(row + TV.Count);
                a0 = TV.MultiplyAdd(TV.Create(q0[e]), k0, a0);
                a1 = TV.MultiplyAdd(TV.Create(q0[e]), k1, a1);
                b0 = TV.MultiplyAdd(TV.Create(q1[e]), k0, b0);
                b1 = TV.MultiplyAdd(TV.Create(q1[e]), k1, b1);
            }

            TV.Store(a0 + c0, s0 + j);
            TV.Store(a1 + c1, s0 + j + TV.Count);
            TV.Store(b0 + d0, s1 + j);
            TV.Store(b1 + d1, s1 + j + TV.Count);
        }

        for (; j < end; j += TV.Count)
        {
            TV a0 = default, a1 = default, a2 = default, a3 = default;
            TV b0 = default, b1 = default, b2 = default, b3 = default;
            var e = 0;
            for (; e + 4 <= d; e += 4)
            {
                var row = kt + ((long)e * stride) + j;
                var k0 = TV.Load(row);
                var k1 = TV.Load(row + stride);
                var k2 = TV.Load(row + (2L * stride));
                var k3 = TV.Load(row + (3L * stride));
                a0 = TV.MultiplyAdd(TV.Create(q0[e]), k0, a0);
                a1 = TV.MultiplyAdd(TV.Create(q0[e + 1]), k1, a1);
                a2 = TV.MultiplyAdd(TV.Create(q0[e + 2]), k2, a2);
                a3 = TV.MultiplyAdd(TV.Create(q0[e + 3]), k3, a3);
                b0 = TV.MultiplyAdd(TV.Create(q1[e]), k0, b0);
                b1 = TV.MultiplyAdd(TV.Create(q1[e + 1]), k1, b1);
                b2 = TV.MultiplyAdd(TV.Create(q1[e + 2]), k2, b2);
                b3 = TV.MultiplyAdd(TV.Create(q1[e + 3]), k3, b3);
            }

            for (; e < d; e++)
            {
                var k0 = TV.Load(kt + ((long)e * stride) + j);
                a0 = TV.MultiplyAdd(TV.Create(q0[e]), k0, a0);
                b0 = TV.MultiplyAdd(TV.Create(q1[e]), k0, b0);
            }

            TV.Store((a0 + a1) + (a2 + a3), s0 + j);
            TV.Store((b0 + b1) + (b2 + b3), s1 + j);
        }
    }

    // s[0..Pad8(n)) = sum_e q[e] * kt[e*stride + j] (kt is zero-padded to stride; entries past n are junk).
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RowTimesTransposed<TV>(float* s, float* q, float* kt, int stride, int n, int d)
        where TV : unmanaged, IFloatVector<TV>
    {
        var j = 0;
        var end = Pad8(n);
        for (; j + (4 * TV.Count) <= end; j += 4 * TV.Count)
        {
            TV a0 = default, a1 = default, a2 = default, a3 = default;
            TV b0 = default, b1 = default, b2 = default, b3 = default;
            var e = 0;
            for (; e + 2 <= d; e += 2)
            {
                var row = kt + ((long)e * stride) + j;
                var qe = TV.Create(q[e]);
                a0 = TV.MultiplyAdd(qe, TV.Load(row), a0);
                a1 = TV.MultiplyAdd(qe, TV.Load(row + TV.Count), a1);
                a2 = TV.MultiplyAdd(qe, TV.Load(row + (2 * TV.Count)), a2);
                a3 = TV.MultiplyAdd(qe, TV.Load(row + (3 * TV.Count)), a3);
                row += stride;
                qe = TV.Create(q[e + 1]);
                b0 = TV.MultiplyAdd(qe, TV.Load(row), b0);
                b1 = TV.MultiplyAdd(qe, TV.Load(row + TV.Count), b1);
                b2 = TV.MultiplyAdd(qe, TV.Load(row + (2 * TV.Count)), b2);
                b3 = TV.MultiplyAdd(qe, TV.Load(row + (3 * TV.Count)), b3);
            }

            for (; e < d; e++)
            {
                var row = kt + ((long)e * stride) + j;
                var qe = TV.Create(q[e]);
                a0 = TV.MultiplyAdd(qe, TV.Load(row), a0);
                a1 = TV.MultiplyAdd(qe, TV.Load(row + TV.Count), a1);
                a2 = TV.MultiplyAdd(qe, TV.Load(row + (2 * TV.Count)), a2);
                a3 = TV.MultiplyAdd(qe, TV.Load(row + (3 * TV.Count)), a3);
            }

            TV.Store(a0 + b0, s + j);
            TV.Store(a1 + b1, s + j + TV.Count);
            TV.Store(a2 + b2, s + j + (2 * TV.Count));
            TV.Store(a3 + b3, s + j + (3 * TV.Count));
        }

        for (; j < end; j += TV.Count)
        {
            TV a0 = default, a1 = default;
            var e = 0;
            for (; e + 2 <= d; e += 2)
            {
                var row = kt + ((long)e * stride) + j;
                a0 = TV.MultiplyAdd(TV.Create(q[e]), TV.Load(row), a0);
                a1 = TV.MultiplyAdd(TV.Create(q[e + 1]), TV.Load(row + stride), a1);
            }

            for (; e < d; e++)
            {
                a0 = TV.MultiplyAdd(TV.Create(q[e]), TV.Load(kt + ((long)e * stride) + j), a0);
            }

            TV.Store(a0 + a1, s + j);
        }
    }

    // In place over s[0..n): s = exp(s - max) / sum, also copied to p[0..n). s must hold Pad8(n) floats.
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void SoftmaxRow<TV>(float* s, float* p, int n)
        where TV : unmanaged, IFloatVector<TV>
    {
        var end = Pad8(n);
        for (var j = n; j < end; j++)
        {
            s[j] = float.NegativeInfinity;
        }

        var vmax = TV.Create(float.NegativeInfinity);
        for (var j = 0; j < end; j += TV.Count)
        {
            vmax = TV.Max(vmax, TV.Load(s + j));
        }

        var max = TV.Create(TV.MaxAcross(vmax));
        var vsum = TV.Zero;
        for (var j = 0; j < end; j += TV.Count)
        {
            var e = TV.Exp(TV.Load(s + j) - max);
            TV.Store(e, s + j);
            vsum += e;
        }

        var invSum = 1f / TV.Sum(vsum);
        var inv = TV.Create(invSum);
        var full = n & ~7;
        for (var j = 0; j < full; j += TV.Count)
        {
            var v = TV.Load(s + j) * inv;
            TV.Store(v, s + j);
            TV.Store(v, p + j);
        }

        for (var j = full; j < n; j++)
        {
            s[j] *= invSum;
            p[j] = s[j];
        }
    }

    // ds[0..n) = p * (dp - sum(p dp)), in place over dp (= ds).
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void SoftmaxBackwardRow<TV>(float* ds, float* p, int n)
        where TV : unmanaged, IFloatVector<TV>
    {
        var full = n & ~7;
        var vdot = TV.Zero;
        for (var j = 0; j < full; j += TV.Count)
        {
            vdot = TV.MultiplyAdd(TV.Load(p + j), TV.Load(ds + j), vdot);
        }

        var dot = TV.Sum(vdot);
        for (var j = full; j < n; j++)
        {
            dot += p[j] * ds[j];
        }

        var vd = TV.Create(dot);
        for (var j = 0; j < full; j += TV.Count)
        {
            TV.Store(TV.Load(p + j) * (TV.Load(ds + j) - vd), ds + j);
        }

        for (var j = full; j < n; j++)
        {
            ds[j] = p[j] * (ds[j] - dot);
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
            var need = (2 * T * D) + (D * Stride) + (T * Stride) + (2 * Stride) + (4 * D) + 16;
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

        public sealed override void Execute(int index, int worker)
        {
            switch (FloatVectors.Width)
            {
                case 8:
                    Run<Wide>(index, worker);
                    break;
                case 4:
                    Run<Narrow>(index, worker);
                    break;
                default:
                    Run<Lane>(index, worker);
                    break;
            }
        }

        protected abstract void Run<TV>(int index, int worker)
            where TV : unmanaged, IFloatVector<TV>;

        protected float* Scratch(int worker) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_scratch[worker]));

        // Copies head rows of q (offset 0) or k (offset C) for (b, h), rotated when tables are given, times scale.
        protected void LoadRows(float* dst, int b, int h, int offset, float scale)
        {
            for (var t = 0; t < T; t++)
            {
                var src = Qkv + ((long)(b * T + t) * 3 * C) + offset + (h * D);
                var row = dst + ((long)t * D);
                // Vector loads: they let the core run many rows ahead, so the rows' cache misses overlap.
                if (Cos == null)
                {
                    TensorPrimitives.Multiply(new ReadOnlySpan<float>(src, D), scale, new Span<float>(row, D));
                }
                else
                {
                    Rotary.Rotate(new Span<float>(row, D), new ReadOnlySpan<float>(src, D), new ReadOnlySpan<float>(Cos, T * D / 2),
                        new ReadOnlySpan<float>(Sin, T * D / 2), t, inverse: false);
                    TensorPrimitives.Multiply(new ReadOnlySpan<float>(row, D), scale, new Span<float>(row, D));
                }
            }
        }

        // dst[e*Stride + t] = rows[t*rowStride + e], zero-padded to Stride.
        protected void Transpose(float* dst, float* rows, long rowStride)
        {
            for (var e = 0; e < D; e++)
            {
                var line = dst + ((long)e * Stride);
                for (var t = 0; t < T; t++)
                {
                    line[t] = rows[(t * rowStride) + e];
                }

                for (var t = T; t < Stride; t++)
                {
                    line[t] = 0;
                }
            }
        }

        // The values of (b, h) are read where they lie: row t at Values(b, h) + t * 3C.
        protected float* Values(int b, int h) => Qkv + ((long)b * T * 3 * C) + (2 * C) + (h * D);

        // The keys of (b, h): where they lie (row stride 3C) without rotary embeddings, else rotated into dst (stride D).
        protected float* Keys(float* dst, int b, int h, out long stride)
        {
            if (Cos == null)
            {
                stride = 3 * C;
                return Qkv + ((long)b * T * 3 * C) + C + (h * D);
            }

            LoadRows(dst, b, h, C, 1f);
            stride = D;
            return dst;
        }
    }

    private sealed class ForwardJob : HeadJob
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        protected override void Run<TV>(int index, int worker)
        {
            var b = index / H;
            var h = index % H;
            var s = Scratch(worker);
            var q = s;
            var k = q + (T * D);
            var kt = k + (T * D);
            var scores = kt + (D * Stride);
            var scale = 1f / MathF.Sqrt(D);
            var v = Values(b, h);
            long vs = 3 * C;
            LoadRows(q, b, h, 0, scale);
            var keys = Keys(k, b, h, out var ks);
            Transpose(kt, keys, ks);
            var scores1 = scores + Stride;
            var t = 0;
            for (; t + 1 < T; t += 2)
            {
                // Rows t and t+1 together: they share every key and value load.
                var p0 = Probs + ((((long)b * H) + h) * T * T) + ((long)t * T);
                var p1 = p0 + T;
                RowsTimesTransposed2<TV>(scores, scores1, q + ((long)t * D), q + ((long)(t + 1) * D), kt, Stride, t + 2, D);
                SoftmaxRow<TV>(scores, p0, t + 1);
                SoftmaxRow<TV>(scores1, p1, t + 2);
                var o0 = Out + ((long)(b * T + t) * C) + (h * D);
                var o1 = o0 + C;
                Combine2<TV>(scores, scores1, 1, t + 1, v, vs, o0, o1, D);
                Axpy<TV>(scores1[t + 1], v + ((t + 1) * vs), o1, D);
            }

            for (; t < T; t++)
            {
                var n = t + 1;
                RowTimesTransposed<TV>(scores, q + ((long)t * D), kt, Stride, n, D);
                var p = Probs + ((((long)b * H) + h) * T * T) + ((long)t * T);
                SoftmaxRow<TV>(scores, p, n);
                Combine<TV>(scores, 1, n, v, vs, Out + ((long)(b * T + t) * C) + (h * D), D);
            }
        }
    }

    private sealed class BackwardJob : HeadJob
    {
        public bool Overwrite { get; set; }

        // The two phases are compiled apart so that each has the JIT's whole inlining budget for its helpers.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        protected override void Run<TV>(int index, int worker)
        {
            var b = index / H;
            var h = index % H;
            var q = Scratch(worker);
            var k = q + (T * D);
            var vt = k + (T * D);
            var ds = vt + (D * Stride);
            var scale = 1f / MathF.Sqrt(D);
            LoadRows(q, b, h, 0, scale);
            var keys = Keys(k, b, h, out var ks);
            Transpose(vt, Values(b, h), 3 * C);
            Rows<TV>(b, h, keys, ks, vt, ds, scale);
            Columns<TV>(b, h, q, ds);
        }

        // dP = dO V^T, dS = P (dP - rowsum(P dP)), dQ = dS K (times the scale folded into q), two rows at a time
        // (they share the value and key loads; row t+1 has one more term). Leaves dS in ds for the columns.
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private void Rows<TV>(int b, int h, float* k, long ks, float* vt, float* ds, float scale)
            where TV : unmanaged, IFloatVector<TV>
        {
            var row = ds + ((long)T * Stride);
            var tmp = row + D;
            var rowB = tmp + D;
            var probs = Probs + ((((long)b * H) + h) * T * T);
            var dout = Out + ((long)b * T * C) + (h * D);
            var t = 0;
            for (; t + 1 < T; t += 2)
            {
                var p0 = probs + ((long)t * T);
                var ds0 = ds + ((long)t * Stride);
                var ds1 = ds0 + Stride;
                RowsTimesTransposed2<TV>(ds0, ds1, dout + ((long)t * C), dout + ((long)(t + 1) * C), vt, Stride, t + 2, D);
                SoftmaxBackwardRow<TV>(ds0, p0, t + 1);
                SoftmaxBackwardRow<TV>(ds1, p0 + T, t + 2);
                Combine2<TV>(ds0, ds1, 1, t + 1, k, ks, row, rowB, D);
                Axpy<TV>(ds1[t + 1], k + ((t + 1) * ks), rowB, D);
                var dq0 = Dqkv + ((long)(b * T + t) * 3 * C) + (h * D);
                Accumulate<TV>(dq0, row, scale, tmp, t);
                Accumulate<TV>(dq0 + (3 * C), rowB, scale, tmp, t + 1);
            }

            for (; t < T; t++)
            {
                var n = t + 1;
                var p = probs + ((long)t * T);
                var dst = ds + ((long)t * Stride);
                RowTimesTransposed<TV>(dst, dout + ((long)t * C), vt, Stride, n, D);
                SoftmaxBackwardRow<TV>(dst, p, n);
                Combine<TV>(dst, 1, n, k, ks, row, D);
                Accumulate<TV>(Dqkv + ((long)(b * T + t) * 3 * C) + (h * D), row, scale, tmp, t);
            }
        }

        // dK[j] = sum_{t>=j} dS[t,j] q_t, dV[j] = sum_{t>=j} P[t,j] dO_t, two columns at a time (they share the
        // rows t >= j+1; column j adds its diagonal term t = j).
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private void Columns<TV>(int b, int h, float* q, float* ds)
            where TV : unmanaged, IFloatVector<TV>
        {
            var row = ds + ((long)T * Stride);
            var tmp = row + D;
            var row1 = tmp + D;
            var probs = Probs + ((((long)b * H) + h) * T * T);
            var dout = Out + ((long)b * T * C) + (h * D);
            var jj = 0;
            for (; jj + 1 < T; jj += 2)
            {
                var baseRow = Dqkv + ((long)(b * T + jj) * 3 * C) + (h * D);
                var dsDiag = ds + ((long)jj * Stride) + jj;
                Combine2<TV>(dsDiag + Stride, dsDiag + Stride + 1, Stride, T - jj - 1, q + ((long)(jj + 1) * D), D, row, row1, D);
                Axpy<TV>(*dsDiag, q + ((long)jj * D), row, D);
                Accumulate<TV>(baseRow + C, row, 1f, tmp, jj);
                Accumulate<TV>(baseRow + (3 * C) + C, row1, 1f, tmp, jj + 1);
                var pDiag = probs + ((long)jj * T) + jj;
                Combine2<TV>(pDiag + T, pDiag + T + 1, T, T - jj - 1, dout + ((long)(jj + 1) * C), C, row, row1, D);
                Axpy<TV>(*pDiag, dout + ((long)jj * C), row, D);
                Accumulate<TV>(baseRow + (2 * C), row, 1f, null, jj);
                Accumulate<TV>(baseRow + (3 * C) + (2 * C), row1, 1f, null, jj + 1);
            }

            for (; jj < T; jj++)
            {
                var baseRow = Dqkv + ((long)(b * T + jj) * 3 * C) + (h * D);
                Combine<TV>(ds + ((long)jj * Stride) + jj, Stride, T - jj, q + ((long)jj * D), D, row, D);
                Accumulate<TV>(baseRow + C, row, 1f, tmp, jj);
                Combine<TV>(probs + ((long)jj * T) + jj, T, T - jj, dout + ((long)jj * C), C, row, D);
                Accumulate<TV>(baseRow + (2 * C), row, 1f, null, jj);
            }
        }

        // dst += scale * src (or dst = scale * src when overwriting), src rotated back first where tmp is given and
        // the model is rotary.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Accumulate<TV>(float* dst, float* src, float scale, float* tmp, int t)
            where TV : unmanaged, IFloatVector<TV>
        {
            if (tmp != null && Cos != null)
            {
                Rotary.Rotate(new Span<float>(tmp, D), new ReadOnlySpan<float>(src, D), new ReadOnlySpan<float>(Cos, T * D / 2),
                    new ReadOnlySpan<float>(Sin, T * D / 2), t, inverse: true);
                src = tmp;
            }

            if (Overwrite)
            {
                for (var e = 0; e < D; e++)
                {
                    dst[e] = scale * src[e];
                }
            }
            else
            {
                Axpy<TV>(scale, src, dst, D);
            }
        }
    }
}
