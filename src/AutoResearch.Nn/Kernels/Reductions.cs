using System.Runtime.Intrinsics;

namespace AutoResearch.Nn.Kernels;

/// <summary>Reductions over rows. Shapes: <c>x [N, C]</c>, <c>sums [C]</c>.</summary>
internal static class Reductions
{
    /// <summary><c>sums[j] += sum_r x[r, j]</c>, rows added in order.</summary>
    public static void AddColumnSums(Span<float> sums, ReadOnlySpan<float> x, int c)
    {
        if (sums.Length != c || x.Length % c != 0)
        {
            throw new ArgumentException($"column sums of {x.Length} values in rows of {c} into {sums.Length}");
        }

        var rows = x.Length / c;
        var j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 32 <= c; j += 32)
            {
                var a0 = Vector256.Create(sums.Slice(j, 8));
                var a1 = Vector256.Create(sums.Slice(j + 8, 8));
                var a2 = Vector256.Create(sums.Slice(j + 16, 8));
                var a3 = Vector256.Create(sums.Slice(j + 24, 8));
                for (var r = 0; r < rows; r++)
                {
                    var row = x.Slice((r * c) + j, 32);
                    a0 += Vector256.Create(row[..8]);
                    a1 += Vector256.Create(row.Slice(8, 8));
                    a2 += Vector256.Create(row.Slice(16, 8));
                    a3 += Vector256.Create(row.Slice(24, 8));
                }

                a0.CopyTo(sums.Slice(j, 8));
                a1.CopyTo(sums.Slice(j + 8, 8));
                a2.CopyTo(sums.Slice(j + 16, 8));
                a3.CopyTo(sums.Slice(j + 24, 8));
            }

            for (; j + 8 <= c; j += 8)
            {
                var acc = Vector256.Create(sums.Slice(j, 8));
                for (var r = 0; r < rows; r++)
                {
                    acc += Vector256.Create(x.Slice((r * c) + j, 8));
                }

                acc.CopyTo(sums.Slice(j, 8));
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; j + 16 <= c; j += 16)
            {
                var a0 = Vector128.Create(sums.Slice(j, 4));
                var a1 = Vector128.Create(sums.Slice(j + 4, 4));
                var a2 = Vector128.Create(sums.Slice(j + 8, 4));
                var a3 = Vector128.Create(sums.Slice(j + 12, 4));
                for (var r = 0; r < rows; r++)
                {
                    var row = x.Slice((r * c) + j, 16);
                    a0 += Vector128.Create(row[..4]);
                    a1 += Vector128.Create(row.Slice(4, 4));
                    a2 += Vector128.Create(row.Slice(8, 4));
                    a3 += Vector128.Create(row.Slice(12, 4));
                }

                a0.CopyTo(sums.Slice(j, 4));
                a1.CopyTo(sums.Slice(j + 4, 4));
                a2.CopyTo(sums.Slice(j + 8, 4));
                a3.CopyTo(sums.Slice(j + 12, 4));
            }

            for (; j + 4 <= c; j += 4)
            {
                var acc = Vector128.Create(sums.Slice(j, 4));
                for (var r = 0; r < rows; r++)
                {
                    acc += Vector128.Create(x.Slice((r * c) + j, 4));
                }

                acc.CopyTo(sums.Slice(j, 4));
            }
        }

        for (; j < c; j++)
        {
            var acc = sums[j];
            for (var r = 0; r < rows; r++)
            {
                acc += x[(r * c) + j];
            }

            sums[j] = acc;
        }
    }
}
