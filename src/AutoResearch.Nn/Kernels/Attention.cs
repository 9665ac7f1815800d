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

    // dst[0..d) = sum_{i<count} coef[i*coefStride] * rows[i*rowStride + 0..d), accumulated in registers.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Combine(float* coef, long coefStride, int count, float* rows, long rowStride, float* dst, int d)
    {
        var e = 0;
        for (; e + 32 <= d; e += 32)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            var r = rows + e;
            var c = coef;
            var i = 0;
            for (; i + 2 <= count; i += 2)
            {
                var w = Vector256.Create(*c);
                a0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(r), a0);
                a1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(r + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(r + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(r + 24), a3);
                r += rowStride;
                c += coefStride;
                w = Vector256.Create(*c);
                b0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(r), b0);
                b1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(r + 8), b1);
                b2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(r + 16), b2);
                b3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(r + 24), b3);
                r += rowStride;
                c += coefStride;
            }

            if (i < count)
            {
                var w = Vector256.Create(*c);
                a0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(r), a0);
                a1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(r + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(r + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(r + 24), a3);
            }

            Vector256.Store(a0 + b0, dst + e);
            Vector256.Store(a1 + b1, dst + e + 8);
            Vector256.Store(a2 + b2, dst + e + 16);
            Vector256.Store(a3 + b3, dst + e + 24);
        }

        for (; e + 8 <= d; e += 8)
        {
            var a0 = Vector256<float>.Zero;
            for (var i = 0; i < count; i++)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Create(coef[i * coefStride]), Vector256.Load(rows + (i * rowStride) + e), a0);
            }

            Vector256.Store(a0, dst + e);
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Combine2(float* c0, float* c1, long coefStride, int count, float* rows, long rowStride, float* dst0, float* dst1, int d)
    {
        var e = 0;
        for (; e + 32 <= d; e += 32)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            var r = rows + e;
            for (var i = 0; i < count; i++)
            {
                var v0 = Vector256.Load(r);
                var v1 = Vector256.Load(r + 8);
                var v2 = Vector256.Load(r + 16);
                var v3 = Vector256.Load(r + 24);
                var w = Vector256.Create(c0[i * coefStride]);
                a0 = Vector256.FusedMultiplyAdd(w, v0, a0);
                a1 = Vector256.FusedMultiplyAdd(w, v1, a1);
                a2 = Vector256.FusedMultiplyAdd(w, v2, a2);
                a3 = Vector256.FusedMultiplyAdd(w, v3, a3);
                w = Vector256.Create(c1[i * coefStride]);
                b0 = Vector256.FusedMultiplyAdd(w, v0, b0);
                b1 = Vector256.FusedMultiplyAdd(w, v1, b1);
                b2 = Vector256.FusedMultiplyAdd(w, v2, b2);
                b3 = Vector256.FusedMultiplyAdd(w, v3, b3);
                r += rowStride;
            }

            Vector256.Store(a0, dst0 + e);
            Vector256.Store(a1, dst0 + e + 8);
            Vector256.Store(a2, dst0 + e + 16);
            Vector256.Store(a3, dst0 + e + 24);
            Vector256.Store(b0, dst1 + e);
            Vector256.Store(b1, dst1 + e + 8);
            Vector256.Store(b2, dst1 + e + 16);
            Vector256.Store(b3, dst1 + e + 24);
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowsTimesTransposed2(float* s0, float* s1, float* q0, float* q1, float* kt, int stride, int n, int d)
    {
        var j = 0;
        var end = Pad8(n);
        for (; j + 32 <= end; j += 32)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            for (var e = 0; e < d; e++)
            {
                var row = kt + ((long)e * stride) + j;
                var k0 = Vector256.Load(row);
                var k1 = Vector256.Load(row + 8);
                var k2 = Vector256.Load(row + 16);
                var k3 = Vector256.Load(row + 24);
                var w = Vector256.Create(q0[e]);
                a0 = Vector256.FusedMultiplyAdd(w, k0, a0);
                a1 = Vector256.FusedMultiplyAdd(w, k1, a1);
                a2 = Vector256.FusedMultiplyAdd(w, k2, a2);
                a3 = Vector256.FusedMultiplyAdd(w, k3, a3);
                w = Vector256.Create(q1[e]);
                b0 = Vector256.FusedMultiplyAdd(w, k0, b0);
                b1 = Vector256.FusedMultiplyAdd(w, k1, b1);
                b2 = Vector256.FusedMultiplyAdd(w, k2, b2);
                b3 = Vector256.FusedMultiplyAdd(w, k3, b3);
            }

            Vector256.Store(a0, s0 + j);
            Vector256.Store(a1, s0 + j + 8);
            Vector256.Store(a2, s0 + j + 16);
            Vector256.Store(a3, s0 + j + 24);
            Vector256.Store(b0, s1 + j);
            Vector256.Store(b1, s1 + j + 8);
            Vector256.Store(b2, s1 + j + 16);
            Vector256.Store(b3, s1 + j + 24);
        }

        for (; j < end; j += 8)
        {
            Vector256<float> a0 = default, b0 = default;
            for (var e = 0; e < d; e++)
            {
                var k0 = Vector256.Load(kt + ((long)e * stride) + j);
                a0 = Vector256.FusedMultiplyAdd(Vector256.Create(q0[e]), k0, a0);
                b0 = Vector256.FusedMultiplyAdd(Vector256.Create(q1[e]), k0, b0);
            }

            Vector256.Store(a0, s0 + j);
            Vector256.Store(b0, s1 + j);
        }
    }

    // s[0..Pad8(n)) = sum_e q[e] * kt[e*stride + j] (kt is zero-padded to stride; entries past n are junk).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowTimesTransposed(float* s, float* q, float* kt, int stride, int n, int d)
    {
        var j = 0;
        var end = Pad8(n);
        for (; j + 32 <= end; j += 32)
        {
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
            var e = 0;
            for (; e + 2 <= d; e += 2)
            {
                var row = kt + ((long)e * stride) + j;
                var qe = Vector256.Create(q[e]);
                a0 = Vector256.FusedMultiplyAdd(qe, Vector256.Load(row), a0);
                a1 = Vector256.FusedMultiplyAdd(qe, Vector256.Load(row + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(qe, Vector256.Load(row + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(qe, Vector256.Load(row + 24), a3);
                row += stride;
                qe = Vector256.Create(q[e + 1]);
                b0 = Vector256.FusedMultiplyAdd(qe, Vector256.Load(row), b0);
                b1 = Vector256.FusedMultiplyAdd(qe, Vector256.Load(row + 8), b1);
                b2 = Vector256.FusedMultiplyAdd(qe, Vector256.Load(row + 16), b2);
                b3 = Vector256.FusedMultiplyAdd(qe, Vector256.Load(row + 24), b3);
            }

            for (; e < d; e++)
            {
                var row = kt + ((long)e * stride) + j;
                var qe = Vector256.Create(q[e]);
                a0 = Vector256.FusedMultiplyAdd(qe, Vector256.Load(row), a0);
                a1 = Vector256.FusedMultiplyAdd(qe, Vector256.Load(row + 8), a1);
                a2 = Vector256.FusedMultiplyAdd(qe, Vector256.Load(row + 16), a2);
                a3 = Vector256.FusedMultiplyAdd(qe, Vector256.Load(row + 24), a3);
            }

            Vector256.Store(a0 + b0, s + j);
            Vector256.Store(a1 + b1, s + j + 8);
            Vector256.Store(a2 + b2, s + j + 16);
            Vector256.Store(a3 + b3, s + j + 24);
        }

        for (; j < end; j += 8)
        {
            Vector256<float> a0 = default, a1 = default;
            var e = 0;
            for (; e + 2 <= d; e += 2)
            {
                var row = kt + ((long)e * stride) + j;
                a0 = Vector256.FusedMultiplyAdd(Vector256.Create(q[e]), Vector256.Load(row), a0);
                a1 = Vector256.FusedMultiplyAdd(Vector256.Create(q[e + 1]), Vector256.Load(row + stride), a1);
            }

            for (; e < d; e++)
            {
                a0 = Vector256.FusedMultiplyAdd(Vector256.Create(q[e]), Vector256.Load(kt + ((long)e * stride) + j), a0);
            }

            Vector256.Store(a0 + a1, s + j);
        }
    }

    // In place over s[0..n): s = exp(s - max) / sum, also copied to p[0..n). s must hold Pad8(n) floats.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SoftmaxRow(float* s, float* p, int n)
    {
        var end = Pad8(n);
        for (var j = n; j < end; j++)
        {
            s[j] = float.NegativeInfinity;
        }

        var vmax = Vector256.Create(float.NegativeInfinity);
        for (var j = 0; j < end; j += 8)
        {
            vmax = Vector256.Max(vmax, Vector256.Load(s + j));
        }

        var max = Vector256.Create(HorizontalMax(vmax));
        var vsum = Vector256<float>.Zero;
        for (var j = 0; j < end; j += 8)
        {
            var e = Vector256.Exp(Vector256.Load(s + j) - max);
            Vector256.Store(e, s + j);
            vsum += e;
        }

        var inv = Vector256.Create(1f / Vector256.Sum(vsum));
        var full = n & ~7;
        for (var j = 0; j < full; j += 8)
        {
            var v = Vector256.Load(s + j) * inv;
            Vector256.Store(v, s + j);
            Vector256.Store(v, p + j);
        }

        for (var j = full; j < n; j++)
        {
            s[j] *= inv[0];
            p[j] = s[j];
        }
    }

    private static float HorizontalMax(Vector256<float> v)
    {
        var m = Vector128.Max(v.GetLower(), v.GetUpper());
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2)));
        return m.ToScalar();
    }

    // ds[0..n) = p * (dp - sum(p dp)), in place over dp (= ds).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SoftmaxBackwardRow(float* ds, float* p, int n)
    {
        var full = n & ~7;
        var vdot = Vector256<float>.Zero;
        for (var j = 0; j < full; j += 8)
        {
            vdot = Vector256.FusedMultiplyAdd(Vector256.Load(p + j), Vector256.Load(ds + j), vdot);
        }

        var dot = Vector256.Sum(vdot);
        for (var j = full; j < n; j++)
        {
            dot += p[j] * ds[j];
        }

        var vd = Vector256.Create(dot);
        for (var j = 0; j < full; j += 8)
        {
            Vector256.Store(Vector256.Load(p + j) * (Vector256.Load(ds + j) - vd), ds + j);
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
            var need = (3 * T * D) + (D * Stride) + (T * Stride) + (2 * Stride) + (4 * D) + 16;
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
            var scale = 1f / MathF.Sqrt(D);
            LoadRows(q, b, h, 0, scale);
            LoadRows(k, b, h, C, 1f);
            LoadValues(v, b, h);
            Transpose(kt, k);
            var scores1 = scores + Stride;
            var t = 0;
            for (; t + 1 < T; t += 2)
            {
                // Rows t and t+1 together: they share every key and value load.
                var p0 = Probs + ((((long)b * H) + h) * T * T) + ((long)t * T);
                var p1 = p0 + T;
                RowsTimesTransposed2(scores, scores1, q + ((long)t * D), q + ((long)(t + 1) * D), kt, Stride, t + 2, D);
                SoftmaxRow(scores, p0, t + 1);
                SoftmaxRow(scores1, p1, t + 2);
                var o0 = Out + ((long)(b * T + t) * C) + (h * D);
                var o1 = o0 + C;
                Combine2(scores, scores1, 1, t + 1, v, D, o0, o1, D);
                Axpy(scores1[t + 1], v + ((long)(t + 1) * D), o1, D);
            }

            for (; t < T; t++)
            {
                var n = t + 1;
                RowTimesTransposed(scores, q + ((long)t * D), kt, Stride, n, D);
                var p = Probs + ((((long)b * H) + h) * T * T) + ((long)t * T);
                SoftmaxRow(scores, p, n);
                Combine(scores, 1, n, v, D, Out + ((long)(b * T + t) * C) + (h * D), D);
            }
        }
    }

    private sealed class BackwardJob : HeadJob
    {
        public bool Overwrite { get; set; }

        public override void Execute(int index, int worker)
        {
            var b = index / H;
            var h = index % H;
            var s = Scratch(worker);
            var q = s;
            var k = q + (T * D);
            var v = k + (T * D);
            var vt = v + (T * D);
            var ds = vt + (D * Stride);
            var row = ds + ((long)T * Stride);
            var tmp = row + D;
            var scale = 1f / MathF.Sqrt(D);
            LoadRows(q, b, h, 0, scale);
            LoadRows(k, b, h, C, 1f);
            LoadValues(v, b, h);
            Transpose(vt, v);
            var probs = Probs + ((((long)b * H) + h) * T * T);
            var dout = Out + ((long)b * T * C) + (h * D);
            var cos = new ReadOnlySpan<float>(Cos, Cos == null ? 0 : T * D / 2);
            var sin = new ReadOnlySpan<float>(Sin, Sin == null ? 0 : T * D / 2);

            // Rows: dP = dO V^T, dS = P (dP - rowsum(P dP)), dQ = dS K (times the scale folded into q),
            // two rows at a time (they share the value and key loads; row t+1 has one more term).
            var rowB = tmp + D;
            var t = 0;
            for (; t + 1 < T; t += 2)
            {
                var p0 = probs + ((long)t * T);
                var ds0 = ds + ((long)t * Stride);
                var ds1 = ds0 + Stride;
                RowsTimesTransposed2(ds0, ds1, dout + ((long)t * C), dout + ((long)(t + 1) * C), vt, Stride, t + 2, D);
                SoftmaxBackwardRow(ds0, p0, t + 1);
                SoftmaxBackwardRow(ds1, p0 + T, t + 2);
                Combine2(ds0, ds1, 1, t + 1, k, D, row, rowB, D);
                Axpy(ds1[t + 1], k + ((long)(t + 1) * D), rowB, D);
                var dq0 = Dqkv + ((long)(b * T + t) * 3 * C) + (h * D);
                Accumulate(dq0, row, scale, tmp, cos, sin, t);
                Accumulate(dq0 + (3 * C), rowB, scale, tmp, cos, sin, t + 1);
            }

            for (; t < T; t++)
            {
                var n = t + 1;
                var p = probs + ((long)t * T);
                var dst = ds + ((long)t * Stride);
                RowTimesTransposed(dst, dout + ((long)t * C), vt, Stride, n, D);
                SoftmaxBackwardRow(dst, p, n);
                Combine(dst, 1, n, k, D, row, D);
                Accumulate(Dqkv + ((long)(b * T + t) * 3 * C) + (h * D), row, scale, tmp, cos, sin, t);
            }

            // Columns: dK[j] = sum_{t>=j} dS[t,j] q_t, dV[j] = sum_{t>=j} P[t,j] dO_t, two columns at a time
            // (they share the rows t >= j+1; column j adds its diagonal term t = j).
            var row1 = rowB;
            var jj = 0;
            for (; jj + 1 < T; jj += 2)
            {
                var baseRow = Dqkv + ((long)(b * T + jj) * 3 * C) + (h * D);
                var dsDiag = ds + ((long)jj * Stride) + jj;
                Combine2(dsDiag + Stride, dsDiag + Stride + 1, Stride, T - jj - 1, q + ((long)(jj + 1) * D), D, row, row1, D);
                Axpy(*dsDiag, q + ((long)jj * D), row, D);
                Accumulate(baseRow + C, row, 1f, tmp, cos, sin, jj);
                Accumulate(baseRow + (3 * C) + C, row1, 1f, tmp, cos, sin, jj + 1);
                var pDiag = probs + ((long)jj * T) + jj;
                Combine2(pDiag + T, pDiag + T + 1, T, T - jj - 1, dout + ((long)(jj + 1) * C), C, row, row1, D);
                Axpy(*pDiag, dout + ((long)jj * C), row, D);
                Accumulate(baseRow + (2 * C), row, 1f, null, default, default, jj);
                Accumulate(baseRow + (3 * C) + (2 * C), row1, 1f, null, default, default, jj + 1);
            }

            for (; jj < T; jj++)
            {
                var baseRow = Dqkv + ((long)(b * T + jj) * 3 * C) + (h * D);
                Combine(ds + ((long)jj * Stride) + jj, Stride, T - jj, q + ((long)jj * D), D, row, D);
                Accumulate(baseRow + C, row, 1f, tmp, cos, sin, jj);
                Combine(probs + ((long)jj * T) + jj, T, T - jj, dout + ((long)jj * C), C, row, D);
                Accumulate(baseRow + (2 * C), row, 1f, null, default, default, jj);
            }
        }

        private void Accumulate(float* dst, float* src, float scale, float* tmp, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, int t)
        {
            if (tmp != null && !cos.IsEmpty)
            {
                Rotary.Rotate(new Span<float>(tmp, D), new ReadOnlySpan<float>(src, D), cos, sin, t, inverse: true);
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
                Axpy(scale, src, dst, D);
            }
        }
    }
}
