using AutoResearch.Nn.Kernels;

namespace AutoResearch.Nn;

public sealed partial class Graph
{
    /// <summary>
    /// A fully connected layer: <c>y = x W^T + b</c> for <c>x [..., In]</c>, <c>W [Out, In]</c> (PyTorch's layout),
    /// optional <c>b [Out]</c>; returns <c>[..., Out]</c>.
    /// </summary>
    public Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        var inF = x.Columns;
        if (weight.Rank != 2 || weight.Shape[1] != inF || (bias is not null && bias.Length != weight.Shape[0]))
        {
            throw new ArgumentException($"linear shapes disagree: x {x}, weight {weight}, bias {bias}");
        }

        var t0 = Begin();
        var outF = weight.Shape[0];
        var n = x.Rows;
        Span<int> shape = stackalloc int[x.Rank];
        x.Shape.CopyTo(shape);
        shape[^1] = outF;
        var needs = NeedsGrad(x, weight) || (bias is not null && NeedsGrad(bias));
        var y = NewTensor(shape, needs);
        Kernels.MatMul.Gemm(n, outF, inF, x.Data, inF, 1, weight.Data, 1, inF, y.Data, outF, accumulate: false, bias: bias is null ? default : bias.Data);

        if (needs)
        {
            Record(new Node { Op = Op.Linear, Out = y, A = x, B = weight, C = bias });
        }

        End(Op.Linear, t0);
        return y;
    }

    /// <summary>
    /// Batched matrix multiply: <c>a [..., M, K]</c> times <c>b [..., K, N]</c> with the same leading
    /// dimensions, or <c>b [K, N]</c> shared by every batch; returns <c>[..., M, N]</c>.
    /// </summary>
    public Tensor MatMul(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank < 2 || b.Rank < 2)
        {
            throw new ArgumentException($"matmul needs matrices, got {a} and {b}");
        }

        var m = a.Shape[^2];
        var k = a.Shape[^1];
        var n = b.Shape[^1];
        var batches = a.Length / (m * k);
        var shared = b.Rank == 2;
        if (b.Shape[^2] != k || (!shared && b.Length / (k * n) != batches))
        {
            throw new ArgumentException($"matmul shapes disagree: {a} and {b}");
        }

        var t0 = Begin();
        Span<int> shape = stackalloc int[a.Rank];
        a.Shape.CopyTo(shape);
        shape[^1] = n;
        var needs = NeedsGrad(a, b);
        var c = NewTensor(shape, needs);
        for (var i = 0; i < batches; i++)
        {
            Kernels.MatMul.Gemm(m, n, k, a.Data.AsSpan(i * m * k, m * k), k, 1, b.Data.AsSpan(shared ? 0 : i * k * n, k * n), n, 1,
                c.Data.AsSpan(i * m * n, m * n), n, accumulate: false);
        }

        if (needs)
        {
            Record(new Node { Op = Op.MatMul, Out = c, A = a, B = b, I0 = m, I1 = k, I2 = n });
        }

        End(Op.MatMul, t0);
        return c;
    }

    private void LinearBackward(ref Node node)
    {
        var (y, x, w, bias) = (node.Out, node.A!, node.B!, node.C);
        var inF = x.Columns;
        var outF = w.Shape[0];
        var n = x.Rows;
        var dy = y.GradBuffer!;
        if (x.GradBuffer is { } dx)
        {
            Kernels.MatMul.Gemm(n, inF, outF, dy, outF, 1, w.Data, inF, 1, dx, inF, accumulate: !TakeFresh(dx));
        }

        if (w.GradBuffer is { } dw)
        {
            Kernels.MatMul.Gemm(outF, inF, n, dy, 1, outF, x.Data, inF, 1, dw, inF, accumulate: true);
        }

        if (bias?.GradBuffer is { } db)
        {
            Kernels.Reductions.AddColumnSums(db, dy, outF);
        }
    }

    private static void MatMulBackward(ref Node node)
    {
        var (c, a, b, m, k, n) = (node.Out, node.A!, node.B!, node.I0, node.I1, node.I2);
        var batches = a.Length / (m * k);
        var shared = b.Rank == 2;
        var dc = c.GradBuffer!;
        for (var i = 0; i < batches; i++)
        {
            var dci = dc.AsSpan(i * m * n, m * n);
            if (a.GradBuffer is { } da)
            {
                Kernels.MatMul.Gemm(m, k, n, dci, n, 1, b.Data.AsSpan(shared ? 0 : i * k * n, k * n), 1, n, da.AsSpan(i * m * k, m * k), k, accumulate: true);
            }

            if (b.GradBuffer is { } db)
            {
                Kernels.MatMul.Gemm(k, n, m, a.Data.AsSpan(i * m * k, m * k), 1, k, dci, n, 1, db.AsSpan(shared ? 0 : i * k * n, k * n), n, accumulate: true);
            }
        }
    }
}
