using System.Numerics.Tensors;

namespace AutoResearch.Nn.Kernels;

/// <summary>
/// Row normalisations over the last dimension. Shapes: <c>x, y [N, C]</c>, <c>weight, bias [C]</c>,
/// saved statistics <c>mean, rstd [N]</c>. Backward kernels accumulate into dx, dweight, dbias.
/// LayerNorm: <c>y = (x - mean) rstd w + b</c>, <c>rstd = 1/sqrt(var + eps)</c> (biased variance).
/// RMSNorm: <c>y = x rstd w</c>, <c>rstd = 1/sqrt(mean(x^2) + eps)</c>.
/// </summary>
internal static class Norms
{
    /// <summary>LayerNorm forward; <paramref name="bias"/> may be empty.</summary>
    public static void LayerNormForward(Span<float> y, Span<float> mean, Span<float> rstd, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int c, float eps)
    {
        var n = Check(x.Length, y.Length, c, weight.Length);
        for (var r = 0; r < n; r++)
        {
            var xr = x.Slice(r * c, c);
            var yr = y.Slice(r * c, c);
            var m = TensorPrimitives.Sum(xr) / c;
            TensorPrimitives.Subtract(xr, m, yr);
            var v = TensorPrimitives.SumOfSquares(yr) / c;
            var s = 1f / MathF.Sqrt(v + eps);
            TensorPrimitives.Multiply(yr, s, yr);
            if (bias.IsEmpty)
            {
                TensorPrimitives.Multiply(yr, weight, yr);
            }
            else
            {
                TensorPrimitives.FusedMultiplyAdd(yr, weight, bias, yr);
            }

            mean[r] = m;
            rstd[r] = s;
        }
    }

    /// <summary>LayerNorm backward; <paramref name="dbias"/> may be empty. Needs a scratch span of length C.</summary>
    public static void LayerNormBackward(Span<float> dx, Span<float> dweight, Span<float> dbias, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, int c, Span<float> scratch)
    {
        var n = Check(x.Length, dy.Length, c, weight.Length);
        var xhat = scratch[..c];
        for (var r = 0; r < n; r++)
        {
            var xr = x.Slice(r * c, c);
            var dyr = dy.Slice(r * c, c);
            TensorPrimitives.Subtract(xr, mean[r], xhat);
            TensorPrimitives.Multiply(xhat, rstd[r], xhat);
            if (!dweight.IsEmpty)
            {
                TensorPrimitives.FusedMultiplyAdd(dyr, xhat, dweight, dweight);
            }

            if (!dbias.IsEmpty)
            {
                TensorPrimitives.Add(dbias, dyr, dbias);
            }

            if (dx.IsEmpty)
            {
                continue;
            }

            // dxhat = w dy; dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat))
            var dxr = dx.Slice(r * c, c);
            var meanD = TensorPrimitives.Dot(weight, dyr) / c;
            var meanDx = 0f;
            for (var j = 0; j < c; j++)
            {
                meanDx += weight[j] * dyr[j] * xhat[j];
            }

            meanDx /= c;
            var s = rstd[r];
            for (var j = 0; j < c; j++)
            {
                dxr[j] += s * ((weight[j] * dyr[j]) - meanD - (xhat[j] * meanDx));
            }
        }
    }

    /// <summary>RMSNorm forward; <paramref name="weight"/> may be empty (no gain).</summary>
    public static void RmsNormForward(Span<float> y, Span<float> rstd, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, int c, float eps)
    {
        var n = Check(x.Length, y.Length, c, weight.IsEmpty ? c : weight.Length);
        for (var r = 0; r < n; r++)
        {
            var xr = x.Slice(r * c, c);
            var yr = y.Slice(r * c, c);
            var s = 1f / MathF.Sqrt((TensorPrimitives.SumOfSquares(xr) / c) + eps);
            TensorPrimitives.Multiply(xr, s, yr);
            if (!weight.IsEmpty)
            {
                TensorPrimitives.Multiply(yr, weight, yr);
            }

            rstd[r] = s;
        }
    }

    /// <summary>RMSNorm backward: <c>dx += rstd g - x rstd^3 mean(g x)</c> with <c>g = w dy</c>.</summary>
    public static void RmsNormBackward(Span<float> dx, Span<float> dweight, ReadOnlySpan<float> dy, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> rstd, int c)
    {
        var n = Check(x.Length, dy.Length, c, weight.IsEmpty ? c : weight.Length);
        for (var r = 0; r < n; r++)
        {
            var xr = x.Slice(r * c, c);
            var dyr = dy.Slice(r * c, c);
            var s = rstd[r];
            if (!dweight.IsEmpty)
            {
                for (var j = 0; j < c; j++)
                {
                    dweight[j] += dyr[j] * xr[j] * s;
                }
            }

            if (dx.IsEmpty)
            {
                continue;
            }

            var dxr = dx.Slice(r * c, c);
            var dot = 0f;
            for (var j = 0; j < c; j++)
            {
                dot += (weight.IsEmpty ? 1 : weight[j]) * dyr[j] * xr[j];
            }

            var k = s * s * s * dot / c;
            for (var j = 0; j < c; j++)
            {
                dxr[j] += (s * (weight.IsEmpty ? 1 : weight[j]) * dyr[j]) - (xr[j] * k);
            }
        }
    }

    /// <summary>LayerNorm forward in double precision, the reference for tests.</summary>
    public static void LayerNormReference(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int c, float eps)
    {
        var n = x.Length / c;
        for (var r = 0; r < n; r++)
        {
            double m = 0, v = 0;
            for (var j = 0; j < c; j++)
            {
                m += x[r * c + j];
            }

            m /= c;
            for (var j = 0; j < c; j++)
            {
                v += (x[r * c + j] - m) * (x[r * c + j] - m);
            }

            var s = 1 / Math.Sqrt((v / c) + eps);
            for (var j = 0; j < c; j++)
            {
                y[r * c + j] = (float)(((x[r * c + j] - m) * s * weight[j]) + (bias.IsEmpty ? 0 : bias[j]));
            }
        }
    }

    /// <summary>RMSNorm forward in double precision, the reference for tests.</summary>
    public static void RmsNormReference(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, int c, float eps)
    {
        var n = x.Length / c;
        for (var r = 0; r < n; r++)
        {
            double ss = 0;
            for (var j = 0; j < c; j++)
            {
                ss += (double)x[r * c + j] * x[r * c + j];
            }

            var s = 1 / Math.Sqrt((ss / c) + eps);
            for (var j = 0; j < c; j++)
            {
                y[r * c + j] = (float)(x[r * c + j] * s * (weight.IsEmpty ? 1 : weight[j]));
            }
        }
    }

    private static int Check(int xLen, int yLen, int c, int wLen)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(c);
        if (xLen != yLen || xLen % c != 0 || wLen != c)
        {
            throw new ArgumentException($"norm shapes disagree: x {xLen}, y {yLen}, C {c}, weight {wLen}");
        }

        return xLen / c;
    }
}
