using System.Numerics.Tensors;

namespace AutoResearch.Nn.Kernels;

/// <summary>
/// Row softmax and the fused log-softmax cross-entropy. Shapes: <c>x, y, logits [N, V]</c>,
/// <c>targets [N]</c>. Every softmax subtracts the row maximum first.
/// </summary>
internal static class Softmax
{
    /// <summary><c>y[r] = exp(x[r] - max) / sum(exp(x[r] - max))</c> for each row of length <paramref name="v"/>.</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x, int v)
    {
        for (var r = 0; r < x.Length / v; r++)
        {
            var xr = x.Slice(r * v, v);
            var yr = y.Slice(r * v, v);
            TensorPrimitives.Subtract(xr, TensorPrimitives.Max(xr), yr);
            TensorPrimitives.Exp(yr, yr);
            TensorPrimitives.Multiply(yr, 1f / TensorPrimitives.Sum(yr), yr);
        }
    }

    /// <summary>Softmax backward from the outputs: <c>dx += y (dy - sum(y dy))</c>.</summary>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> y, int v)
    {
        for (var r = 0; r < y.Length / v; r++)
        {
            var yr = y.Slice(r * v, v);
            var dyr = dy.Slice(r * v, v);
            var dxr = dx.Slice(r * v, v);
            var dot = TensorPrimitives.Dot(yr, dyr);
            for (var j = 0; j < v; j++)
            {
                dxr[j] += yr[j] * (dyr[j] - dot);
            }
        }
    }

    /// <summary>
    /// Cross-entropy forward: <c>rowLoss[r] = logsumexp(logits[r]) - logits[r, targets[r]]</c> (nats), and
    /// <c>lse[r]</c> saved for the backward pass. Returns the mean over rows, summed in double in row order.
    /// </summary>
    public static float CrossEntropyForward(Span<float> lse, Span<float> rowLoss, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int v)
    {
        var n = targets.Length;
        if (logits.Length != n * v)
        {
            throw new ArgumentException($"logits hold {logits.Length} values, expected {n}x{v}", nameof(logits));
        }

        double total = 0;
        for (var r = 0; r < n; r++)
        {
            var t = targets[r];
            ArgumentOutOfRangeException.ThrowIfNegative(t, nameof(targets));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(t, v, nameof(targets));
            var xr = logits.Slice(r * v, v);
            var m = TensorPrimitives.Max(xr);
            var s = 0f;
            foreach (var value in xr)
            {
                s += MathF.Exp(value - m);
            }

            lse[r] = m + MathF.Log(s);
            rowLoss[r] = lse[r] - xr[t];
            total += rowLoss[r];
        }

        return (float)(total / n);
    }

    /// <summary>Cross-entropy backward: <c>dlogits[r] += (softmax(logits[r]) - onehot(targets[r])) * scale</c>.</summary>
    public static void CrossEntropyBackward(Span<float> dlogits, ReadOnlySpan<float> logits, ReadOnlySpan<float> lse, ReadOnlySpan<int> targets, int v, float scale)
    {
        for (var r = 0; r < targets.Length; r++)
        {
            var xr = logits.Slice(r * v, v);
            var dr = dlogits.Slice(r * v, v);
            var l = lse[r];
            for (var j = 0; j < v; j++)
            {
                dr[j] += MathF.Exp(xr[j] - l) * scale;
            }

            dr[targets[r]] -= scale;
        }
    }

    /// <summary>Mean cross-entropy in double precision, the reference for tests.</summary>
    public static double CrossEntropyReference(ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, int v)
    {
        double total = 0;
        for (var r = 0; r < targets.Length; r++)
        {
            double m = double.NegativeInfinity, s = 0;
            for (var j = 0; j < v; j++)
            {
                m = Math.Max(m, logits[r * v + j]);
            }

            for (var j = 0; j < v; j++)
            {
                s += Math.Exp(logits[r * v + j] - m);
            }

            total += m + Math.Log(s) - logits[r * v + targets[r]];
        }

        return total / targets.Length;
    }

    /// <summary>Row softmax in double precision, the reference for tests.</summary>
    public static void ForwardReference(Span<float> y, ReadOnlySpan<float> x, int v)
    {
        for (var r = 0; r < x.Length / v; r++)
        {
            double m = double.NegativeInfinity, s = 0;
            for (var j = 0; j < v; j++)
            {
                m = Math.Max(m, x[r * v + j]);
            }

            for (var j = 0; j < v; j++)
            {
                s += Math.Exp(x[r * v + j] - m);
            }

            for (var j = 0; j < v; j++)
            {
                y[r * v + j] = (float)(Math.Exp(x[r * v + j] - m) / s);
            }
        }
    }
}
