using AutoResearch.Nn.Kernels;

namespace AutoResearch.Nn.Tests;

public sealed class MatMulTests
{
    public static TheoryData<int, int, int> Shapes()
    {
        var data = new TheoryData<int, int, int>();
        int[] sizes = [1, 2, 5, 6, 7, 13, 16, 17, 31, 33, 64, 97];
        foreach (var m in sizes)
        {
            foreach (var n in new[] { 1, 3, 15, 16, 17, 40 })
            {
                data.Add(m, n, m % 7 + 1);
            }
        }

        data.Add(128, 384, 128);
        data.Add(200, 130, 300);   // K spans two KC blocks
        data.Add(37, 600, 513);
        data.Add(1, 1, 1000);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gemm_matches_reference_for_all_transposes(int m, int n, int k)
    {
        var rng = new Rng((ulong)((m * 1000) + (n * 10) + k));
        var a = Tolerance.Random(m * k, rng);
        var b = Tolerance.Random(k * n, rng);
        var c0 = Tolerance.Random(m * n, rng);
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var (aRow, aCol) = ta ? (1, m) : (k, 1);
            var (bRow, bCol) = tb ? (1, k) : (n, 1);
            foreach (var acc in new[] { false, true })
            {
                var expected = (float[])c0.Clone();
                var actual = (float[])c0.Clone();
                MatMul.GemmReference(m, n, k, a, aRow, aCol, b, bRow, bCol, expected, n, acc);
                MatMul.Gemm(m, n, k, a, aRow, aCol, b, bRow, bCol, actual, n, acc);
                Tolerance.Close(expected, actual, 1e-5, $"gemm {m}x{n}x{k} ta={ta} tb={tb} acc={acc}");
            }
        }
    }

    public static TheoryData<int, int, int, int> KernelShapes()
    {
        var data = new TheoryData<int, int, int, int>();
        foreach (var nr in new[] { 8, 16, 32 })
        {
            data.Add(nr, 1, 1, 1);
            data.Add(nr, 6, 32, 4);
            data.Add(nr, 7, 33, 9);
            data.Add(nr, 13, 65, 300);
            data.Add(nr, 20, 31, 17);
            data.Add(nr, 25, 40, 1100);    // K spans several KC blocks of every kernel
            data.Add(nr, 18, 24, 512);     // a row stride of 2 KiB: A is packed rather than read in place
            data.Add(nr, 7, 700, 3100);    // B larger than one packing of the whole depth
        }

        return data;
    }

    // Every micro-kernel (Vector128 6x8, Vector256 6x16, Vector512 6x32) against the naive loop, whatever this
    // machine accelerates (.NET emulates the others), for both ways of reading A and every transpose.
    [Theory]
    [MemberData(nameof(KernelShapes))]
    public void Every_kernel_matches_reference_even_where_emulated(int nr, int m, int n, int k)
    {
        var rng = new Rng((ulong)(m * n * k) + (ulong)nr);
        var a = Tolerance.Random(m * k, rng);
        var b = Tolerance.Random(k * n, rng);
        var bias = Tolerance.Random(n, rng);
        foreach (var (ta, tb, acc) in new[] { (false, false, false), (false, true, true), (true, false, true), (true, true, false) })
        {
            var (aRow, aCol) = ta ? (1, m) : (k, 1);
            var (bRow, bCol) = tb ? (1, k) : (n, 1);
            var c0 = Tolerance.Random(m * n, rng);
            var expected = (float[])c0.Clone();
            MatMul.GemmReference(m, n, k, a, aRow, aCol, b, bRow, bCol, expected, n, acc, bias);
            foreach (var packA in new[] { false, true })
            {
                var actual = (float[])c0.Clone();
                MatMul.AlwaysPackA = packA;
                try
                {
                    MatMul.GemmWithPanel(nr, m, n, k, a, aRow, aCol, b, bRow, bCol, actual, n, acc, bias);
                }
                finally
                {
                    MatMul.AlwaysPackA = false;
                }

                Tolerance.Close(expected, actual, 1e-5, $"gemm 6x{nr} {m}x{n}x{k} ta={ta} tb={tb} acc={acc} packA={packA}");
            }
        }
    }

    [Fact]
    public void The_tier_names_the_kernel_this_machine_runs()
    {
        Assert.Equal(MatMul.PanelWidth switch { 32 => "avx512", 16 => "avx2", 8 => "vector128", _ => "scalar" }, MatMul.Tier);
        Assert.Equal(System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated, MatMul.PanelWidth == 32);
        Assert.Equal(System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated, MatMul.IsAccelerated);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 17, 5)]
    [InlineData(13, 40, 300)]
    [InlineData(64, 130, 33)]
    public void Gemm_adds_bias_to_every_row_once(int m, int n, int k)
    {
        var rng = new Rng((ulong)(m + n + k));
        var a = Tolerance.Random(m * k, rng);
        var b = Tolerance.Random(k * n, rng);
        var bias = Tolerance.Random(n, rng);
        var expected = new float[m * n];
        var actual = new float[m * n];
        MatMul.GemmReference(m, n, k, a, k, 1, b, 1, k, expected, n, accumulate: false, bias);
        MatMul.Gemm(m, n, k, a, k, 1, b, 1, k, actual, n, accumulate: false, bias);
        Tolerance.Close(expected, actual, 1e-5, $"gemm+bias {m}x{n}x{k}");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(5, 40)]
    [InlineData(100, 77)]
    public void Column_sums_match_naive_sums(int rows, int c)
    {
        var rng = new Rng((ulong)(rows * c));
        var x = Tolerance.Random(rows * c, rng);
        var sums = Tolerance.Random(c, rng);
        var expected = sums.Select((s, j) => s + Enumerable.Range(0, rows).Sum(r => x[(r * c) + j])).ToArray();
        Reductions.AddColumnSums(sums, x, c);
        Tolerance.Close(expected, sums, 1e-5, "column sums");
    }

    [Fact]
    public void Gemm_respects_leading_dimension_of_c()
    {
        var rng = new Rng(3);
        const int m = 9, n = 19, k = 11, ldc = 25;
        var a = Tolerance.Random(m * k, rng);
        var b = Tolerance.Random(k * n, rng);
        var expected = Tolerance.Random(m * ldc, rng);
        var actual = (float[])expected.Clone();
        MatMul.GemmReference(m, n, k, a, k, 1, b, n, 1, expected, ldc, accumulate: false);
        MatMul.Gemm(m, n, k, a, k, 1, b, n, 1, actual, ldc, accumulate: false);
        Assert.Equal(expected.Length, actual.Length);
        Tolerance.Close(expected, actual, 1e-5, "gemm with ldc");
        Assert.Equal(expected[n], actual[n]); // the gap between rows is untouched
    }

    [Fact]
    public void Gemm_rejects_a_too_short_operand()
    {
        var ex = Assert.Throws<ArgumentException>(() => MatMul.Gemm(4, 4, 4, new float[15], 4, 1, new float[16], 4, 1, new float[16], 4, false));
        Assert.Contains("A is too short", ex.Message, StringComparison.Ordinal);
    }
}
