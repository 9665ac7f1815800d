namespace AutoResearch.Nn.Kernels;

/// <summary>
/// The Newton-Schulz iteration Muon uses to orthogonalise an update: for a matrix G [R, C] it returns an approximation
/// of <c>U V^T</c> (G = U S V^T), every singular value pushed towards 1 (into roughly [0.7, 1.2], which is what the
/// optimizer needs, not an exact polar factor). In the wide orientation (r = min(R, C) rows, c = max(R, C) columns):
/// <c>X = G / (|G|_F + 1e-7)</c>, then <paramref name="steps"/> times <c>A = X X^T</c>, <c>B = b A + c' A A</c>,
/// <c>X = a X + B X</c> with the quintic coefficients (a, b, c') = (3.4445, -4.7750, 2.0315). A tall G is
/// transposed in, and the result transposed back out.
/// </summary>
/// <remarks>Shapes: G and the output [R, C]; scratch <see cref="ScratchLength"/> floats.</remarks>
internal static class NewtonSchulz
{
    /// <summary>The quintic's coefficient of X.</summary>
    public const float A = 3.4445f;

    /// <summary>The quintic's coefficient of X X^T X.</summary>
    public const float B = -4.7750f;

    /// <summary>The quintic's coefficient of (X X^T)^2 X.</summary>
    public const float C = 2.0315f;

    /// <summary>Floats of scratch <see cref="Orthogonalize"/> needs for a [rows, cols] matrix: 2 r c + 2 r^2, r = min.</summary>
    public static int ScratchLength(int rows, int cols)
    {
        var (r, c) = (Math.Min(rows, cols), Math.Max(rows, cols));
        return checked((2 * r * c) + (2 * r * r));
    }

    /// <summary>Writes the orthogonalised <paramref name="g"/> [rows, cols] into <paramref name="y"/>; allocates nothing.</summary>
    /// <exception cref="ArgumentException">A span is shorter than the shape needs.</exception>
    public static void Orthogonalize(ReadOnlySpan<float> g, Span<float> y, int rows, int cols, int steps, Span<float> scratch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cols);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        var n = rows * cols;
        if (g.Length != n || y.Length != n || scratch.Length < ScratchLength(rows, cols))
        {
            throw new ArgumentException($"Newton-Schulz on [{rows}, {cols}] needs {n} floats in and out and {ScratchLength(rows, cols)} of scratch; got {g.Length}, {y.Length}, {scratch.Length}");
        }

        var tall = rows > cols;
        var (r, c) = tall ? (cols, rows) : (rows, cols);
        var x = scratch[..n];
        var next = scratch.Slice(n, n);
        var gram = scratch.Slice(2 * n, r * r);
        var poly = scratch.Slice((2 * n) + (r * r), r * r);

        double norm = 0;
        foreach (var v in g)
        {
            norm += (double)v * v;
        }

        var inv = (float)(1 / (Math.Sqrt(norm) + 1e-7));
        if (tall)
        {
            for (var i = 0; i < rows; i++)
            {
                for (var j = 0; j < cols; j++)
                {
                    x[(j * c) + i] = g[(i * cols) + j] * inv;
                }
            }
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                x[i] = g[i] * inv;
            }
        }

        for (var s = 0; s < steps; s++)
        {
            // gram = X X^T [r, r]: X read as A row-major, and as B through its transpose's strides.
            MatMul.Gemm(r, r, c, x, c, 1, x, 1, c, gram, r, accumulate: false);
            // poly = b gram + c' gram gram
            MatMul.Gemm(r, r, r, gram, r, 1, gram, r, 1, poly, r, accumulate: false);
            for (var i = 0; i < poly.Length; i++)
            {
                poly[i] = (B * gram[i]) + (C * poly[i]);
            }

            // next = a X + poly X
            for (var i = 0; i < n; i++)
            {
                next[i] = A * x[i];
            }

            MatMul.Gemm(r, c, r, poly, r, 1, x, c, 1, next, c, accumulate: true);
            next.CopyTo(x);
        }

        if (tall)
        {
            for (var i = 0; i < rows; i++)
            {
                for (var j = 0; j < cols; j++)
                {
                    y[(i * cols) + j] = x[(j * c) + i];
                }
            }
        }
        else
        {
            x.CopyTo(y);
        }
    }

    /// <summary>The same iteration in double precision with naive loops: the reference for tests.</summary>
    public static float[] OrthogonalizeReference(ReadOnlySpan<float> g, int rows, int cols, int steps)
    {
        var tall = rows > cols;
        var (r, c) = tall ? (cols, rows) : (rows, cols);
        var x = new double[r * c];
        double norm = 0;
        foreach (var v in g)
        {
            norm += (double)v * v;
        }

        norm = Math.Sqrt(norm) + 1e-7;
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                x[tall ? (j * c) + i : (i * c) + j] = g[(i * cols) + j] / norm;
            }
        }

        for (var s = 0; s < steps; s++)
        {
            var gram = new double[r * r];
            for (var i = 0; i < r; i++)
            {
                for (var j = 0; j < r; j++)
                {
                    for (var p = 0; p < c; p++)
                    {
                        gram[(i * r) + j] += x[(i * c) + p] * x[(j * c) + p];
                    }
                }
            }

            var poly = new double[r * r];
            for (var i = 0; i < r; i++)
            {
                for (var j = 0; j < r; j++)
                {
                    double sq = 0;
                    for (var p = 0; p < r; p++)
                    {
                        sq += gram[(i * r) + p] * gram[(p * r) + j];
                    }

                    poly[(i * r) + j] = (B * gram[(i * r) + j]) + (C * sq);
                }
            }

            var next = new double[r * c];
            for (var i = 0; i < r; i++)
            {
                for (var j = 0; j < c; j++)
                {
                    double sum = A * x[(i * c) + j];
                    for (var p = 0; p < r; p++)
                    {
                        sum += poly[(i * r) + p] * x[(p * c) + j];
                    }

                    next[(i * c) + j] = sum;
                }
            }

            x = next;
        }

        var y = new float[rows * cols];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                y[(i * cols) + j] = (float)x[tall ? (j * c) + i : (i * c) + j];
            }
        }

        return y;
    }
}
