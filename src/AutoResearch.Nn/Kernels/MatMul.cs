using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AutoResearch.Nn.Kernels;

/// <summary>
/// General matrix multiply, <c>C[M,N] = (accumulate ? C : 0) + A[M,K] · B[K,N] (+ bias[N] on every row)</c>, with the operands
/// addressed through strides so that transposes cost nothing: element A(i,k) is <c>a[i*aRow + k*aCol]</c>,
/// B(k,j) is <c>b[k*bRow + j*bCol]</c>, and C is row-major with leading dimension <c>ldc</c>.
/// </summary>
/// <remarks>
/// The fast path follows the BLIS recipe: B is packed into KC×NR panels, each worker packs its block of
/// A into MR×KC slivers, and a register-tiled micro-kernel with 12 accumulators computes each 6×NR tile:
/// 6×16 with AVX2/FMA (Vector256), or 6×32 with Vector512 where the CPU accelerates it (AVX-512).
/// Workers split the rows of C, so every element is summed in the same order whatever the thread count:
/// results are bit-identical for 1, 2 or 16 threads.
/// </remarks>
internal static unsafe class MatMul
{
    private const int MR = 6;
    private const int NR = 16;
    private const int WideNR = 32;
    private const int KC = 256;
    private const int NC = 4096;
    private const int MaxSliversPerChunk = 16;

    private static GemmJob Job => JobPerThread.Value!;

    private static PackJob PackWork => PackWorkPerThread.Value!;

    private static ThreadLocal<PackJob> PackWorkPerThread { get; } = new(() => new PackJob());

    // One instance per calling thread: kernels may be called from several threads at once (tests do).
    private static ThreadLocal<GemmJob> JobPerThread { get; } = new(() => new GemmJob());

    private static float[] PackedB { get => PackedBPerThread.Value!; set => PackedBPerThread.Value = value; }

    private static ThreadLocal<float[]> PackedBPerThread { get; } = new(() => GC.AllocateUninitializedArray<float>(KC * WideNR, pinned: true));

    /// <summary>Whether the register-tiled path is used on this machine (AVX2 and FMA).</summary>
    public static bool IsAccelerated => Fma.IsSupported && Avx2.IsSupported;

    /// <summary>The fast multiply; see the class remarks for the operand layout.</summary>
    public static void Gemm(int m, int n, int k, ReadOnlySpan<float> a, int aRow, int aCol,
        ReadOnlySpan<float> b, int bRow, int bCol, Span<float> c, int ldc, bool accumulate, ReadOnlySpan<float> bias = default)
    {
        CheckOperands(m, n, k, a.Length, aRow, aCol, b.Length, bRow, bCol, c.Length, ldc);
        if (!bias.IsEmpty && bias.Length != n)
        {
            throw new ArgumentException($"bias has {bias.Length} values for {n} columns", nameof(bias));
        }

        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0 || !IsAccelerated)
        {
            GemmReference(m, n, k, a, aRow, aCol, b, bRow, bCol, c, ldc, accumulate, bias);
            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        fixed (float* pbias = bias)
        {
            GemmCore(m, n, k, pa, aRow, aCol, pb, bRow, bCol, pc, ldc, accumulate, bias.IsEmpty ? null : pbias, Vector512.IsHardwareAccelerated ? WideNR : NR);
        }
    }

    /// <summary>
    /// The fast path with a chosen panel width: 16 (the Vector256 micro-kernel) or 32 (the Vector512 one).
    /// Tests use it to check the Vector512 kernel on machines without AVX-512, where .NET emulates it.
    /// </summary>
    internal static void GemmWithPanel(int nr, int m, int n, int k, ReadOnlySpan<float> a, int aRow, int aCol,
        ReadOnlySpan<float> b, int bRow, int bCol, Span<float> c, int ldc, bool accumulate, ReadOnlySpan<float> bias = default)
    {
        CheckOperands(m, n, k, a.Length, aRow, aCol, b.Length, bRow, bCol, c.Length, ldc);
        if (nr is not (NR or WideNR))
        {
            throw new ArgumentOutOfRangeException(nameof(nr), nr, "panel width is 16 or 32");
        }

        if (m == 0 || n == 0 || k == 0 || (nr == NR && !IsAccelerated))
        {
            GemmReference(m, n, k, a, aRow, aCol, b, bRow, bCol, c, ldc, accumulate, bias);
            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        fixed (float* pbias = bias)
        {
            GemmCore(m, n, k, pa, aRow, aCol, pb, bRow, bCol, pc, ldc, accumulate, bias.IsEmpty ? null : pbias, nr);
        }
    }

    /// <summary>The naive triple loop the fast path is tested against (sums in double).</summary>
    public static void GemmReference(int m, int n, int k, ReadOnlySpan<float> a, int aRow, int aCol,
        ReadOnlySpan<float> b, int bRow, int bCol, Span<float> c, int ldc, bool accumulate, ReadOnlySpan<float> bias = default)
    {
        CheckOperands(m, n, k, a.Length, aRow, aCol, b.Length, bRow, bCol, c.Length, ldc);
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = (accumulate ? c[i * ldc + j] : 0) + (bias.IsEmpty ? 0 : bias[j]);
                for (var p = 0; p < k; p++)
                {
                    sum += (double)a[i * aRow + p * aCol] * b[p * bRow + j * bCol];
                }

                c[i * ldc + j] = (float)sum;
            }
        }
    }

    private static void CheckOperands(int m, int n, int k, int aLen, int aRow, int aCol, int bLen, int bRow, int bCol, int cLen, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(aRow);
        ArgumentOutOfRangeException.ThrowIfNegative(aCol);
        ArgumentOutOfRangeException.ThrowIfNegative(bRow);
        ArgumentOutOfRangeException.ThrowIfNegative(bCol);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, n);
        if (m == 0 || n == 0)
        {
            return;
        }

        if (k > 0 && ((long)(m - 1) * aRow + (long)(k - 1) * aCol >= aLen))
        {
            throw new ArgumentException($"A is too short for {m}x{k} with strides ({aRow}, {aCol})", nameof(aLen));
        }

        if (k > 0 && ((long)(k - 1) * bRow + (long)(n - 1) * bCol >= bLen))
        {
            throw new ArgumentException($"B is too short for {k}x{n} with strides ({bRow}, {bCol})", nameof(bLen));
        }

        if ((long)(m - 1) * ldc + n > cLen)
        {
            throw new ArgumentException($"C is too short for {m}x{n} with leading dimension {ldc}", nameof(cLen));
        }
    }

    private static void GemmCore(int m, int n, int k, float* a, int aRow, int aCol, float* b, int bRow, int bCol, float* c, int ldc, bool accumulate, float* bias, int nrPanel)
    {
        var pool = WorkerPool.Shared;
        var slivers = (m + MR - 1) / MR;
        var work = (long)m * n * k;
        var perChunk = work < 64L * 64 * 64 ? slivers : Math.Clamp((slivers + pool.Threads * 3 - 1) / (pool.Threads * 3), 1, MaxSliversPerChunk);
        var chunks = (slivers + perChunk - 1) / perChunk;
        var job = Job;
        job.EnsureScratch(pool.Threads);

        for (var jc = 0; jc < n; jc += NC)
        {
            var nc = Math.Min(NC, n - jc);
            var panels = (nc + nrPanel - 1) / nrPanel;
            for (var pc = 0; pc < k; pc += KC)
            {
                var kc = Math.Min(KC, k - pc);
                if (PackedB.Length < panels * nrPanel * kc)
                {
                    PackedB = GC.AllocateUninitializedArray<float>(panels * nrPanel * KC, pinned: true);
                }

                fixed (float* bp = PackedB)
                {
                    var bBlock = b + (long)pc * bRow + (long)jc * bCol;
                    if ((long)kc * nc >= 16384 && panels > 1)
                    {
                        // Pack panels in parallel too: a serial pack would leave the other workers idle.
                        var packJob = PackWork;
                        packJob.Set(kc, nc, bBlock, bRow, bCol, bp, nrPanel);
                        pool.Run(packJob, panels);
                    }
                    else
                    {
                        PackB(kc, nc, bBlock, bRow, bCol, bp, nrPanel);
                    }

                    job.Set(m, nc, kc, a + (long)pc * aCol, aRow, aCol, bp, c + jc, ldc, accumulate || pc > 0, perChunk, pc == 0 && bias != null ? bias + jc : null, nrPanel);
                    if (chunks == 1)
                    {
                        job.Execute(0, 0);
                    }
                    else
                    {
                        pool.Run(job, chunks);
                    }
                }
            }
        }
    }

    // Bp[p][kk][jj] = B(kk, p*NR + jj), zero past the last column.
    private static void PackB(int kc, int nc, float* b, int bRow, int bCol, float* bp, int nrPanel)
    {
        for (var j0 = 0; j0 < nc; j0 += nrPanel)
        {
            var nr = Math.Min(nrPanel, nc - j0);
            var dst = bp + (long)j0 * kc;
            if (nr == nrPanel && bCol == 1)
            {
                for (var kk = 0; kk < kc; kk++)
                {
                    var src = b + (long)kk * bRow + j0;
                    for (var q = 0; q < nrPanel; q += 8)
                    {
                        Vector256.Store(Vector256.Load(src + q), dst + q);
                    }

                    dst += nrPanel;
                }

                continue;
            }

            for (var kk = 0; kk < kc; kk++)
            {
                var src = b + (long)kk * bRow + (long)j0 * bCol;
                var jj = 0;
                for (; jj < nr; jj++)
                {
                    dst[jj] = src[(long)jj * bCol];
                }

                for (; jj < nrPanel; jj++)
                {
                    dst[jj] = 0;
                }

                dst += nrPanel;
            }
        }
    }

    // Ap[s][kk][ii] = A(s*MR + ii, kk), zero past the last row.
    private static void PackA(int mc, int kc, float* a, int aRow, int aCol, float* ap)
    {
        for (var i0 = 0; i0 < mc; i0 += MR)
        {
            var mr = Math.Min(MR, mc - i0);
            var dst = ap + (long)i0 * kc;
            if (mr == MR && aCol == 1)
            {
                var r0 = a + (long)i0 * aRow;
                for (var kk = 0; kk < kc; kk++)
                {
                    dst[0] = r0[kk];
                    dst[1] = r0[aRow + kk];
                    dst[2] = r0[2 * aRow + kk];
                    dst[3] = r0[3 * aRow + kk];
                    dst[4] = r0[4 * aRow + kk];
                    dst[5] = r0[5 * aRow + kk];
                    dst += MR;
                }

                continue;
            }

            for (var kk = 0; kk < kc; kk++)
            {
                var src = a + (long)i0 * aRow + (long)kk * aCol;
                var ii = 0;
                for (; ii < mr; ii++)
                {
                    dst[ii] = src[(long)ii * aRow];
                }

                for (; ii < MR; ii++)
                {
                    dst[ii] = 0;
                }

                dst += MR;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, float* a, float* b, float* c, int ldc, bool accumulate, float* bias)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Avx.LoadVector256(b);
            var b1 = Avx.LoadVector256(b + 8);
            var av = Vector256.Create(a[0]);
            c00 = Fma.MultiplyAdd(av, b0, c00);
            c01 = Fma.MultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Fma.MultiplyAdd(av, b0, c10);
            c11 = Fma.MultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Fma.MultiplyAdd(av, b0, c20);
            c21 = Fma.MultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = Fma.MultiplyAdd(av, b0, c30);
            c31 = Fma.MultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]);
            c40 = Fma.MultiplyAdd(av, b0, c40);
            c41 = Fma.MultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]);
            c50 = Fma.MultiplyAdd(av, b0, c50);
            c51 = Fma.MultiplyAdd(av, b1, c51);
            a += MR;
            b += NR;
        }

        if (bias != null)
        {
            var bias0 = Avx.LoadVector256(bias);
            var bias1 = Avx.LoadVector256(bias + 8);
            (c00, c01, c10, c11, c20, c21) = (c00 + bias0, c01 + bias1, c10 + bias0, c11 + bias1, c20 + bias0, c21 + bias1);
            (c30, c31, c40, c41, c50, c51) = (c30 + bias0, c31 + bias1, c40 + bias0, c41 + bias1, c50 + bias0, c51 + bias1);
        }

        Store(c, accumulate, c00, c01);
        Store(c + ldc, accumulate, c10, c11);
        Store(c + 2 * ldc, accumulate, c20, c21);
        Store(c + 3 * ldc, accumulate, c30, c31);
        Store(c + 4 * ldc, accumulate, c40, c41);
        Store(c + 5 * ldc, accumulate, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x32(int kc, float* a, float* b, float* c, int ldc, bool accumulate, float* bias)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var av = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a[1]);
            c10 = Vector512.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a[2]);
            c20 = Vector512.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a[3]);
            c30 = Vector512.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a[4]);
            c40 = Vector512.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a[5]);
            c50 = Vector512.FusedMultiplyAdd(av, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            a += MR;
            b += WideNR;
        }

        if (bias != null)
        {
            var bias0 = Vector512.Load(bias);
            var bias1 = Vector512.Load(bias + 16);
            (c00, c01, c10, c11, c20, c21) = (c00 + bias0, c01 + bias1, c10 + bias0, c11 + bias1, c20 + bias0, c21 + bias1);
            (c30, c31, c40, c41, c50, c51) = (c30 + bias0, c31 + bias1, c40 + bias0, c41 + bias1, c50 + bias0, c51 + bias1);
        }

        StoreWide(c, accumulate, c00, c01);
        StoreWide(c + ldc, accumulate, c10, c11);
        StoreWide(c + 2 * ldc, accumulate, c20, c21);
        StoreWide(c + 3 * ldc, accumulate, c30, c31);
        StoreWide(c + 4 * ldc, accumulate, c40, c41);
        StoreWide(c + 5 * ldc, accumulate, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreWide(float* c, bool accumulate, Vector512<float> lo, Vector512<float> hi)
    {
        if (accumulate)
        {
            lo += Vector512.Load(c);
            hi += Vector512.Load(c + 16);
        }

        Vector512.Store(lo, c);
        Vector512.Store(hi, c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, bool accumulate, Vector256<float> lo, Vector256<float> hi)
    {
        if (accumulate)
        {
            lo = Avx.Add(lo, Avx.LoadVector256(c));
            hi = Avx.Add(hi, Avx.LoadVector256(c + 8));
        }

        Avx.Store(c, lo);
        Avx.Store(c + 8, hi);
    }

    // Packs panel `index` of a B block: the panel's columns only, so panels can be packed in any order.
    private sealed class PackJob : ParallelJob
    {
        private float* _b, _bp;
        private int _kc, _nc, _bRow, _bCol, _nr;

        public void Set(int kc, int nc, float* b, int bRow, int bCol, float* bp, int nr)
        {
            (_kc, _nc, _bRow, _bCol, _nr) = (kc, nc, bRow, bCol, nr);
            _b = b;
            _bp = bp;
        }

        public override void Execute(int index, int worker)
        {
            var j0 = index * _nr;
            PackB(_kc, Math.Min(_nr, _nc - j0), _b + ((long)j0 * _bCol), _bRow, _bCol, _bp + ((long)j0 * _kc), _nr);
        }
    }

    private sealed class GemmJob : ParallelJob
    {
        private float[][] _packedA = [];
        private float[][] _tile = [];
        private int _m, _nc, _kc, _aRow, _aCol, _ldc, _perChunk, _nr;
        private float* _a, _bp, _c, _bias;
        private bool _accumulate;

        public void EnsureScratch(int threads)
        {
            if (_packedA.Length >= threads)
            {
                return;
            }

            _packedA = new float[threads][];
            _tile = new float[threads][];
            for (var i = 0; i < threads; i++)
            {
                _packedA[i] = GC.AllocateUninitializedArray<float>(MaxSliversPerChunk * MR * KC, pinned: true);
                _tile[i] = GC.AllocateUninitializedArray<float>(MR * WideNR, pinned: true);
            }
        }

        public void Set(int m, int nc, int kc, float* a, int aRow, int aCol, float* bp, float* c, int ldc, bool accumulate, int perChunk, float* bias, int nr)
        {
            _bias = bias;
            _nr = nr;
            (_m, _nc, _kc, _aRow, _aCol, _ldc, _accumulate, _perChunk) = (m, nc, kc, aRow, aCol, ldc, accumulate, perChunk);
            _a = a;
            _bp = bp;
            _c = c;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Kernel(int kc, float* a, float* b, float* c, int ldc, bool accumulate, float* bias)
        {
            if (_nr == WideNR)
            {
                Kernel6x32(kc, a, b, c, ldc, accumulate, bias);
            }
            else
            {
                Kernel6x16(kc, a, b, c, ldc, accumulate, bias);
            }
        }

        public override void Execute(int index, int worker)
        {
            var i0 = index * _perChunk * MR;
            var mc = Math.Min(_perChunk * MR, _m - i0);
            var ap = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_packedA[worker]));
            var tile = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_tile[worker]));
            PackA(mc, _kc, _a + (long)i0 * _aRow, _aRow, _aCol, ap);
            var panel = _nr;
            for (var j0 = 0; j0 < _nc; j0 += panel)
            {
                var nr = Math.Min(panel, _nc - j0);
                var bp = _bp + (long)j0 * _kc;
                for (var ii = 0; ii < mc; ii += MR)
                {
                    var mr = Math.Min(MR, mc - ii);
                    var c = _c + (long)(i0 + ii) * _ldc + j0;
                    if (mr == MR && nr == panel)
                    {
                        Kernel(_kc, ap + (long)ii * _kc, bp, c, _ldc, _accumulate, _bias == null ? null : _bias + j0);
                        continue;
                    }

                    Kernel(_kc, ap + (long)ii * _kc, bp, tile, panel, accumulate: false, bias: null);
                    for (var r = 0; r < mr; r++)
                    {
                        for (var j = 0; j < nr; j++)
                        {
                            var v = tile[r * panel + j] + (_bias == null ? 0 : _bias[j0 + j]);
                            c[(long)r * _ldc + j] = _accumulate ? c[(long)r * _ldc + j] + v : v;
                        }
                    }
                }
            }
        }
    }
}
