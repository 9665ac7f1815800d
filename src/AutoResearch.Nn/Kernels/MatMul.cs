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
/// The fast path follows the BLIS recipe, with one micro-kernel per vector width, each sized to its register file:
/// 6×32 on Vector512 (AVX-512), 6×16 on Vector256 (AVX2 + FMA; BLIS's Haswell shape, 12 accumulators of 16
/// registers), 6×8 on Vector128 (SSE or NEON). B is packed into KC×NR panels, KC chosen so that one panel takes
/// 16 KiB and stays in L1 while the kernel sweeps the slivers of A; each worker packs its rows of A into MR×KC
/// slivers (L2) and walks the whole depth of K itself, so a deep product (the weight gradient, K = tokens) costs
/// two parallel regions, not two per KC block.
/// Workers split the rows of C, and every element is summed in the same order whatever the thread count:
/// results are bit-identical for 1, 2 or 16 threads within a tier. Tiers differ only in rounding (FMA or not,
/// the grouping of K into blocks), within the tolerance the tests hold them to.
/// </remarks>
internal static unsafe class MatMul
{
    private const int MR = 6;
    private const int NC = 4096;
    private const int MaxSliversPerChunk = 16;

    // One B micro-panel (KC×NR floats) in this many bytes: half of a 32 KiB L1, the other half for A and C.
    private const int PanelBytes = 16 * 1024;

    // The most floats of B packed at once (all of K for one NC block when it fits): 8 MiB.
    private const long PackBudget = 2L * 1024 * 1024;

    private const int MaxKC = PanelBytes / sizeof(float) / 8;

    private static GemmJob Job => JobPerThread.Value!;

    private static PackJob PackWork => PackWorkPerThread.Value!;

    private static ThreadLocal<PackJob> PackWorkPerThread { get; } = new(() => new PackJob());

    // One instance per calling thread: kernels may be called from several threads at once (tests do).
    private static ThreadLocal<GemmJob> JobPerThread { get; } = new(() => new GemmJob());

    private static float[] PackedB { get => PackedBPerThread.Value!; set => PackedBPerThread.Value = value; }

    private static ThreadLocal<float[]> PackedBPerThread { get; } = new(() => GC.AllocateUninitializedArray<float>(PanelBytes, pinned: true));

    /// <summary>
    /// The panel width of the micro-kernel this machine runs: 32 (Vector512), 16 (Vector256 with FMA), 8
    /// (Vector128), or 0 where no vector is accelerated and the naive loop runs.
    /// </summary>
    internal static int PanelWidth { get; } =
        Vector512.IsHardwareAccelerated ? 32
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? 16
        : Vector128.IsHardwareAccelerated ? 8
        : 0;

    /// <summary>Packs A even where its rows could be read in place (benchmarks compare the two ways with it).</summary>
    internal static bool AlwaysPackA { get; set; }

    /// <summary>Whether a vector micro-kernel runs on this machine (any tier).</summary>
    public static bool IsAccelerated => PanelWidth > 0;

    /// <summary>The vector tier the fast path runs in on this machine: avx512, avx2, vector128 or scalar (named for x86; NEON is vector128).</summary>
    public static string Tier => PanelWidth switch { 32 => "avx512", 16 => "avx2", 8 => "vector128", _ => "scalar" };

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
            GemmCore(m, n, k, pa, aRow, aCol, pb, bRow, bCol, pc, ldc, accumulate, bias.IsEmpty ? null : pbias, PanelWidth);
        }
    }

    /// <summary>
    /// The fast path with a chosen micro-kernel: panel width 8 (Vector128), 16 (Vector256) or 32 (Vector512).
    /// Tests use it to check every kernel on any machine: where a width is not accelerated, .NET emulates it.
    /// </summary>
    internal static void GemmWithPanel(int nr, int m, int n, int k, ReadOnlySpan<float> a, int aRow, int aCol,
        ReadOnlySpan<float> b, int bRow, int bCol, Span<float> c, int ldc, bool accumulate, ReadOnlySpan<float> bias = default)
    {
        CheckOperands(m, n, k, a.Length, aRow, aCol, b.Length, bRow, bCol, c.Length, ldc);
        if (nr is not (8 or 16 or 32))
        {
            throw new ArgumentOutOfRangeException(nameof(nr), nr, "panel width is 8, 16 or 32");
        }

        if (m == 0 || n == 0 || k == 0)
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

    private static void GemmCore(int m, int n, int k, float* a, int aRow, int aCol, float* b, int bRow, int bCol, float* c, int ldc, bool accumulate, float* bias, int nr)
    {
        var pool = WorkerPool.Shared;
        var slivers = (m + MR - 1) / MR;
        var work = (long)m * n * k;
        var perChunk = work < 64L * 64 * 64 ? slivers : Math.Clamp((slivers + pool.Threads * 3 - 1) / (pool.Threads * 3), 1, MaxSliversPerChunk);
        var chunks = (slivers + perChunk - 1) / perChunk;
        var kc = PanelBytes / sizeof(float) / nr;
        var job = Job;
        job.EnsureScratch(pool.Threads);

        for (var jc = 0; jc < n; jc += NC)
        {
            var nc = Math.Min(NC, n - jc);
            var panels = (nc + nr - 1) / nr;

            // All of K at once where B's block fits the budget, else as many KC blocks as fit.
            var depth = (long)k * panels * nr <= PackBudget ? k : (int)Math.Max(kc, PackBudget / (panels * nr) / kc * kc);
            for (var pd = 0; pd < k; pd += depth)
            {
                var kd = Math.Min(depth, k - pd);
                var blocks = (kd + kc - 1) / kc;
                var need = (long)blocks * panels * nr * kc;
                if (PackedB.Length < need)
                {
                    PackedB = GC.AllocateUninitializedArray<float>((int)need, pinned: true);
                }

                fixed (float* bp = PackedB)
                {
                    var bBlock = b + (long)pd * bRow + (long)jc * bCol;
                    var packJob = PackWork;
                    packJob.Set(kd, kc, nc, panels, bBlock, bRow, bCol, bp, nr);
                    if ((long)kd * nc >= 16384 && blocks * panels > 1)
                    {
                        // Pack panels in parallel too: a serial pack would leave the other workers idle.
                        pool.Run(packJob, blocks * panels);
                    }
                    else
                    {
                        for (var i = 0; i < blocks * panels; i++)
                        {
                            packJob.Execute(i, 0);
                        }
                    }

                    job.Set(m, nc, kd, kc, panels, a + (long)pd * aCol, aRow, aCol, bp, c + jc, ldc, accumulate || pd > 0, perChunk, pd == 0 && bias != null ? bias + jc : null, nr);
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

    // Bp[p][kk][jj] = B(kk, p*nr + jj) for one KC block, zero past the last column.
    private static void PackPanel(int kc, int cols, float* b, int bRow, int bCol, float* dst, int nr)
    {
        if (cols == nr && bCol == 1)
        {
            // Whole rows of the panel, four floats at a time (a block copy call per 64-byte row costs more than the copy).
            for (var kk = 0; kk < kc; kk++)
            {
                var src = b + ((long)kk * bRow);
                for (var jj = 0; jj < nr; jj += 4)
                {
                    Vector128.Store(Vector128.Load(src + jj), dst + jj);
                }

                dst += nr;
            }

            return;
        }

        for (var kk = 0; kk < kc; kk++)
        {
            var src = b + ((long)kk * bRow);
            var jj = 0;
            for (; jj < cols; jj++)
            {
                dst[jj] = src[(long)jj * bCol];
            }

            for (; jj < nr; jj++)
            {
                dst[jj] = 0;
            }

            dst += nr;
        }
    }

    // Ap[s][kk][ii] = A(s*MR + ii, kk), zero past the last row.
    private static void PackA(int mc, int kc, float* a, int aRow, int aCol, float* ap)
    {
        for (var i0 = 0; i0 < mc; i0 += MR)
        {
            var mr = Math.Min(MR, mc - i0);
            var dst = ap + ((long)i0 * kc);
            if (mr == MR && aCol == 1)
            {
                var r0 = a + ((long)i0 * aRow);
                for (var kk = 0; kk < kc; kk++)
                {
                    dst[0] = r0[kk];
                    dst[1] = r0[aRow + kk];
                    dst[2] = r0[(2 * aRow) + kk];
                    dst[3] = r0[(3 * aRow) + kk];
                    dst[4] = r0[(4 * aRow) + kk];
                    dst[5] = r0[(5 * aRow) + kk];
                    dst += MR;
                }

                continue;
            }

            if (mr == MR && aRow == 1)
            {
                // A transposed (the weight gradient's dY^T): each step of K is six neighbouring floats.
                var src = a + i0;
                for (var kk = 0; kk < kc; kk++)
                {
                    Unsafe.CopyBlockUnaligned(dst, src, MR * sizeof(float));
                    src += aCol;
                    dst += MR;
                }

                continue;
            }

            for (var kk = 0; kk < kc; kk++)
            {
                var src = a + ((long)i0 * aRow) + ((long)kk * aCol);
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

    // Whether six rows of A, kc floats each at the given row stride, can be read in place without crowding
    // one set of a 32 KiB 8-way L1 (64 sets of 64-byte lines) next to B's panel: row strides of a multiple of
    // 1 KiB land the rows on the same sets (measured: K = 512 in place runs at 75% of packed on Vector256).
    // Wider kernels do more work per element of A and tolerate more rows per set: 1, 2 and 4 for 8, 16, 32.
    private static bool RowsFitL1(int rowStride, int kc, int nr)
    {
        Span<int> perSet = stackalloc int[64];
        var most = 0;
        for (var r = 0; r < MR; r++)
        {
            var first = (long)r * rowStride * sizeof(float) / 64;
            var last = (((long)r * rowStride) + kc - 1) * sizeof(float) / 64;
            for (var line = first; line <= last && line < first + 64; line++)
            {
                most = Math.Max(most, ++perSet[(int)(line % 64)]);
            }
        }

        return most <= nr / 8;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x8(int kc, float* a, long rs, long cs, float* b, float* c, int ldc, bool accumulate, float* bias)
    {
        // A(ii, p) is a[ii*rs + p*cs]: a packed sliver (rs 1, cs MR) or six rows read in place (rs = row stride, cs 1).
        var a1 = a + rs;
        var a2 = a + (2 * rs);
        var a3 = a + (3 * rs);
        var a4 = a + (4 * rs);
        var a5 = a + (5 * rs);
        Vector128<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector128<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        long o = 0;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector128.Load(b);
            var b1 = Vector128.Load(b + 4);
            var av = Vector128.Create(a[o]);
            c00 = Vector128.MultiplyAddEstimate(av, b0, c00);
            c01 = Vector128.MultiplyAddEstimate(av, b1, c01);
            av = Vector128.Create(a1[o]);
            c10 = Vector128.MultiplyAddEstimate(av, b0, c10);
            c11 = Vector128.MultiplyAddEstimate(av, b1, c11);
            av = Vector128.Create(a2[o]);
            c20 = Vector128.MultiplyAddEstimate(av, b0, c20);
            c21 = Vector128.MultiplyAddEstimate(av, b1, c21);
            av = Vector128.Create(a3[o]);
            c30 = Vector128.MultiplyAddEstimate(av, b0, c30);
            c31 = Vector128.MultiplyAddEstimate(av, b1, c31);
            av = Vector128.Create(a4[o]);
            c40 = Vector128.MultiplyAddEstimate(av, b0, c40);
            c41 = Vector128.MultiplyAddEstimate(av, b1, c41);
            av = Vector128.Create(a5[o]);
            c50 = Vector128.MultiplyAddEstimate(av, b0, c50);
            c51 = Vector128.MultiplyAddEstimate(av, b1, c51);
            o += cs;
            b += 8;
        }

        if (bias != null)
        {
            var bias0 = Vector128.Load(bias);
            var bias1 = Vector128.Load(bias + 4);
            (c00, c01, c10, c11, c20, c21) = (c00 + bias0, c01 + bias1, c10 + bias0, c11 + bias1, c20 + bias0, c21 + bias1);
            (c30, c31, c40, c41, c50, c51) = (c30 + bias0, c31 + bias1, c40 + bias0, c41 + bias1, c50 + bias0, c51 + bias1);
        }

        StoreNarrow(c, accumulate, c00, c01);
        StoreNarrow(c + ldc, accumulate, c10, c11);
        StoreNarrow(c + (2 * ldc), accumulate, c20, c21);
        StoreNarrow(c + (3 * ldc), accumulate, c30, c31);
        StoreNarrow(c + (4 * ldc), accumulate, c40, c41);
        StoreNarrow(c + (5 * ldc), accumulate, c50, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreNarrow(float* c, bool accumulate, Vector128<float> lo, Vector128<float> hi)
    {
        if (accumulate)
        {
            lo += Vector128.Load(c);
            hi += Vector128.Load(c + 4);
        }

        Vector128.Store(lo, c);
        Vector128.Store(hi, c + 4);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, float* a, long rs, long cs, float* b, float* c, int ldc, bool accumulate, float* bias)
    {
        // A(ii, p) is a[ii*rs + p*cs]: a packed sliver (rs 1, cs MR) or six rows read in place (rs = row stride, cs 1).
        var a1 = a + rs;
        var a2 = a + (2 * rs);
        var a3 = a + (3 * rs);
        var a4 = a + (4 * rs);
        var a5 = a + (5 * rs);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        long o = 0;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var av = Vector256.Create(a[o]);
            c00 = Vector256.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a1[o]);
            c10 = Vector256.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a2[o]);
            c20 = Vector256.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a3[o]);
            c30 = Vector256.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a4[o]);
            c40 = Vector256.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a5[o]);
            c50 = Vector256.FusedMultiplyAdd(av, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
            o += cs;
            b += 16;
        }

        if (bias != null)
        {
            var bias0 = Vector256.Load(bias);
            var bias1 = Vector256.Load(bias + 8);
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
    private static void Kernel6x32(int kc, float* a, long rs, long cs, float* b, float* c, int ldc, bool accumulate, float* bias)
    {
        // A(ii, p) is a[ii*rs + p*cs]: a packed sliver (rs 1, cs MR) or six rows read in place (rs = row stride, cs 1).
        var a1 = a + rs;
        var a2 = a + (2 * rs);
        var a3 = a + (3 * rs);
        var a4 = a + (4 * rs);
        var a5 = a + (5 * rs);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        long o = 0;
        for (var p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var av = Vector512.Create(a[o]);
            c00 = Vector512.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(av, b1, c01);
            av = Vector512.Create(a1[o]);
            c10 = Vector512.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(av, b1, c11);
            av = Vector512.Create(a2[o]);
            c20 = Vector512.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(av, b1, c21);
            av = Vector512.Create(a3[o]);
            c30 = Vector512.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(av, b1, c31);
            av = Vector512.Create(a4[o]);
            c40 = Vector512.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(av, b1, c41);
            av = Vector512.Create(a5[o]);
            c50 = Vector512.FusedMultiplyAdd(av, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(av, b1, c51);
            o += cs;
            b += 32;
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
            lo += Vector256.Load(c);
            hi += Vector256.Load(c + 8);
        }

        Vector256.Store(lo, c);
        Vector256.Store(hi, c + 8);
    }

    // Packs panel `index % panels` of KC block `index / panels`: blocks and panels can be packed in any order.
    private sealed class PackJob : ParallelJob
    {
        private float* _b, _bp;
        private int _kd, _kc, _nc, _panels, _bRow, _bCol, _nr;

        public void Set(int kd, int kc, int nc, int panels, float* b, int bRow, int bCol, float* bp, int nr)
        {
            (_kd, _kc, _nc, _panels, _bRow, _bCol, _nr) = (kd, kc, nc, panels, bRow, bCol, nr);
            _b = b;
            _bp = bp;
        }

        public override void Execute(int index, int worker)
        {
            var (block, panel) = Math.DivRem(index, _panels);
            var p0 = block * _kc;
            var kc = Math.Min(_kc, _kd - p0);
            var j0 = panel * _nr;
            var dst = _bp + ((long)block * _panels * _nr * _kc) + ((long)j0 * kc);
            PackPanel(kc, Math.Min(_nr, _nc - j0), _b + ((long)p0 * _bRow) + ((long)j0 * _bCol), _bRow, _bCol, dst, _nr);
        }
    }

    private sealed class GemmJob : ParallelJob
    {
        private float[][] _packedA = [];
        private float[][] _tile = [];
        private int _m, _nc, _kd, _kc, _panels, _aRow, _aCol, _ldc, _perChunk, _nr;
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
                _packedA[i] = GC.AllocateUninitializedArray<float>(MaxSliversPerChunk * MR * MaxKC, pinned: true);
                _tile[i] = GC.AllocateUninitializedArray<float>(MR * 32, pinned: true);
            }
        }

        public void Set(int m, int nc, int kd, int kc, int panels, float* a, int aRow, int aCol, float* bp, float* c, int ldc, bool accumulate, int perChunk, float* bias, int nr)
        {
            _bias = bias;
            _nr = nr;
            (_m, _nc, _kd, _kc, _panels, _aRow, _aCol, _ldc, _accumulate, _perChunk) = (m, nc, kd, kc, panels, aRow, aCol, ldc, accumulate, perChunk);
            _a = a;
            _bp = bp;
            _c = c;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Kernel(int kc, float* a, long rs, long cs, float* b, float* c, int ldc, bool accumulate, float* bias)
        {
            switch (_nr)
            {
                case 32:
                    Kernel6x32(kc, a, rs, cs, b, c, ldc, accumulate, bias);
                    break;
                case 16:
                    Kernel6x16(kc, a, rs, cs, b, c, ldc, accumulate, bias);
                    break;
                default:
                    Kernel6x8(kc, a, rs, cs, b, c, ldc, accumulate, bias);
                    break;
            }
        }

        // One chunk of rows of C, over the whole depth: KC block by KC block, B's panel in L1 across the slivers.
        // Where A's rows are contiguous (x, dY: aCol 1) the kernel reads six rows in place and only a last, partial
        // sliver is packed (with zero rows); a transposed A (dY^T) is packed, six neighbouring floats per step.
        public override void Execute(int index, int worker)
        {
            var i0 = index * _perChunk * MR;
            var mc = Math.Min(_perChunk * MR, _m - i0);
            var ap = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_packedA[worker]));
            var tile = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_tile[worker]));
            var panel = _nr;
            var inPlace = _aCol == 1 && !AlwaysPackA && RowsFitL1(_aRow, Math.Min(_kc, _kd), panel);
            var full = inPlace ? mc / MR * MR : 0;
            for (var p0 = 0; p0 < _kd; p0 += _kc)
            {
                var kc = Math.Min(_kc, _kd - p0);
                var first = p0 == 0;
                var accumulate = _accumulate || !first;
                var bias = first ? _bias : null;
                var a = _a + ((long)i0 * _aRow) + ((long)p0 * _aCol);
                if (full < mc)
                {
                    PackA(mc - full, kc, a + ((long)full * _aRow), _aRow, _aCol, ap + ((long)full * kc));
                }

                var block = _bp + ((long)(p0 / _kc) * _panels * panel * _kc);
                for (var j0 = 0; j0 < _nc; j0 += panel)
                {
                    var nr = Math.Min(panel, _nc - j0);
                    var bp = block + ((long)j0 * kc);
                    for (var ii = 0; ii < mc; ii += MR)
                    {
                        var mr = Math.Min(MR, mc - ii);
                        var c = _c + ((long)(i0 + ii) * _ldc) + j0;
                        var inRows = ii < full;
                        var sliver = inRows ? a + ((long)ii * _aRow) : ap + ((long)ii * kc);
                        var (rs, cs) = inRows ? ((long)_aRow, 1L) : (1L, (long)MR);
                        if (mr == MR && nr == panel)
                        {
                            Kernel(kc, sliver, rs, cs, bp, c, _ldc, accumulate, bias == null ? null : bias + j0);
                            continue;
                        }

                        Kernel(kc, sliver, rs, cs, bp, tile, panel, accumulate: false, bias: null);
                        for (var r = 0; r < mr; r++)
                        {
                            for (var j = 0; j < nr; j++)
                            {
                                var v = tile[(r * panel) + j] + (bias == null ? 0 : bias[j0 + j]);
                                c[((long)r * _ldc) + j] = accumulate ? c[((long)r * _ldc) + j] + v : v;
                            }
                        }
                    }
                }
            }
        }
    }
}
