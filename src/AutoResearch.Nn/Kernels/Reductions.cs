namespace AutoResearch.Nn.Kernels;

/// <summary>Reductions over rows. Shapes: <c>x [N, C]</c>, <c>sums [C]</c>.</summary>
internal static unsafe class Reductions
{
    /// <summary><c>sums[j] += sum_r x[r, j]</c>, rows added in order.</summary>
    public static void AddColumnSums(Span<float> sums, ReadOnlySpan<float> x, int c)
    {
        if (sums.Length != c || x.Length % c != 0)
        {
            throw new ArgumentException($"column sums of {x.Length} values in rows of {c} into {sums.Length}");
        }

        var rows = x.Length / c;
        fixed (float* ps = sums)
        fixed (float* px = x)
        {
            var j = FloatVectors.Width switch
            {
                8 => AddColumnSumVectors<Wide>(ps, px, rows, c),
                4 => AddColumnSumVectors<Narrow>(ps, px, rows, c),
                _ => 0,
            };
            for (; j < c; j++)
            {
                var acc = ps[j];
                for (var r = 0; r < rows; r++)
                {
                    acc += px[((long)r * c) + j];
                }

                ps[j] = acc;
            }
        }
    }

    // Four vectors of columns at a time down all rows, then one; returns the first column left for the scalar tail.
    private static int AddColumnSumVectors<TV>(float* sums, float* x, int rows, int c)
        where TV : unmanaged, IFloatVector<TV>
    {
        var w = TV.Count;
        var j = 0;
        for (; j + (4 * w) <= c; j += 4 * w)
        {
            var a0 = TV.Load(sums + j);
            var a1 = TV.Load(sums + j + w);
            var a2 = TV.Load(sums + j + (2 * w));
            var a3 = TV.Load(sums + j + (3 * w));
            for (var r = 0; r < rows; r++)
            {
                var row = x + ((long)r * c) + j;
                a0 += TV.Load(row);
                a1 += TV.Load(row + w);
                a2 += TV.Load(row + (2 * w));
                a3 += TV.Load(row + (3 * w));
            }

            TV.Store(a0, sums + j);
            TV.Store(a1, sums + j + w);
            TV.Store(a2, sums + j + (2 * w));
            TV.Store(a3, sums + j + (3 * w));
        }

        for (; j + w <= c; j += w)
        {
            var acc = TV.Load(sums + j);
            for (var r = 0; r < rows; r++)
            {
                acc += TV.Load(x + ((long)r * c) + j);
            }

            TV.Store(acc, sums + j);
        }

        return j;
    }
}
