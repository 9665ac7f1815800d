using System.Numerics.Tensors;
using AutoResearch.Nn.Kernels;

namespace AutoResearch.Nn;

public sealed partial class Graph
{
    /// <summary>
    /// <c>a + b</c>, where <paramref name="b"/> is repeated over <paramref name="a"/> when it is shorter
    /// (its length must divide a's): a bias, or a position table added to every batch.
    /// </summary>
    public Tensor Add(Tensor a, Tensor b) => Binary(Op.Add, a, b);

    /// <summary><c>a * b</c> elementwise, with <paramref name="b"/> repeated as in <see cref="Add"/>.</summary>
    public Tensor Mul(Tensor a, Tensor b) => Binary(Op.Mul, a, b);

    /// <summary><c>a * factor</c>.</summary>
    public Tensor Scale(Tensor a, float factor)
    {
        ArgumentNullException.ThrowIfNull(a);
        var t0 = Begin();
        var needs = NeedsGrad(a);
        var y = NewTensor(a.Shape, needs);
        TensorPrimitives.Multiply(a.Data, factor, y.Data);
        if (needs)
        {
            Record(new Node { Op = Op.Scale, Out = y, A = a, F0 = factor });
        }

        End(Op.Scale, t0);
        return y;
    }

    /// <summary>GELU, tanh approximation (GPT-2's; PyTorch's <c>approximate="tanh"</c>).</summary>
    public Tensor Gelu(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var t0 = Begin();
        var needs = NeedsGrad(x);
        var y = NewTensor(x.Shape, needs);
        var tanh = NewTensor(x.Shape, false);
        Activations.GeluForward(y.Data, tanh.Data, x.Data);
        if (needs)
        {
            Record(new Node { Op = Op.Gelu, Out = y, A = x, Saved0 = tanh });
        }

        End(Op.Gelu, t0);
        return y;
    }

    /// <summary>ReLU, <c>max(x, 0)</c>.</summary>
    public Tensor Relu(Tensor x) => Unary(Op.Relu, x);

    /// <summary>Squared ReLU, <c>max(x, 0)^2</c>.</summary>
    public Tensor ReluSquared(Tensor x) => Unary(Op.ReluSquared, x);

    /// <summary>SiLU, <c>x sigmoid(x)</c>.</summary>
    public Tensor Silu(Tensor x) => Unary(Op.Silu, x);

    /// <summary>
    /// Soft-capping, <c>cap tanh(x / cap)</c>: smooth, close to x for |x| well under <paramref name="cap"/>, never
    /// beyond it (Gemma 2 and the nanoGPT speedrun cap their logits so).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">cap is not positive and finite.</exception>
    public Tensor Softcap(Tensor x, float cap)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!(cap > 0) || !float.IsFinite(cap))
        {
            throw new ArgumentOutOfRangeException(nameof(cap), cap, "the cap must be positive and finite");
        }

        var t0 = Begin();
        var needs = NeedsGrad(x);
        var y = NewTensor(x.Shape, needs);
        Activations.SoftcapForward(y.Data, x.Data, cap);
        if (needs)
        {
            Record(new Node { Op = Op.Softcap, Out = y, A = x, F0 = cap });
        }

        End(Op.Softcap, t0);
        return y;
    }

    /// <summary>
    /// Inverted dropout: each element is zeroed with probability <paramref name="p"/> and the rest scaled
    /// by <c>1/(1-p)</c>. The mask is a hash of (graph seed, step, position in the tape, element index), so
    /// it is reproducible and needs no storage. The identity when not recording gradients or when p is 0.
    /// </summary>
    public Tensor Dropout(Tensor x, float p)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentOutOfRangeException.ThrowIfNegative(p);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(p, 1f);
        if (!RecordsGradients || p == 0)
        {
            return x;
        }

        var t0 = Begin();
        var needs = NeedsGrad(x);
        var y = NewTensor(x.Shape, needs);
        var stream = DropoutStream(_nodeCount);
        DropoutApply(y.Data, x.Data, p, stream, accumulate: false);
        if (needs)
        {
            Record(new Node { Op = Op.Dropout, Out = y, A = x, F0 = p, I0 = _nodeCount });
        }

        End(Op.Dropout, t0);
        return y;
    }

    /// <summary>Columns [start, start + count) of the last dimension, copied.</summary>
    public Tensor Slice(Tensor x, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + count, x.Columns);
        var t0 = Begin();
        Span<int> shape = stackalloc int[x.Rank];
        x.Shape.CopyTo(shape);
        shape[^1] = count;
        var needs = NeedsGrad(x);
        var y = NewTensor(shape, needs);
        var c = x.Columns;
        for (var r = 0; r < x.Rows; r++)
        {
            x.Data.AsSpan((r * c) + start, count).CopyTo(y.Data.AsSpan(r * count, count));
        }

        if (needs)
        {
            Record(new Node { Op = Op.Slice, Out = y, A = x, I0 = start });
        }

        End(Op.Slice, t0);
        return y;
    }

    /// <summary>
    /// <paramref name="a"/> and <paramref name="b"/> side by side along the last dimension, copied: the inverse of
    /// <see cref="Slice"/>. Every other dimension must agree.
    /// </summary>
    public Tensor Concat(Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Rank != b.Rank || !a.Shape[..^1].SequenceEqual(b.Shape[..^1]))
        {
            throw new ArgumentException($"cannot concatenate {a} and {b}: all but the last dimension must agree");
        }

        var t0 = Begin();
        Span<int> shape = stackalloc int[a.Rank];
        a.Shape.CopyTo(shape);
        var (ca, cb) = (a.Columns, b.Columns);
        shape[^1] = ca + cb;
        var needs = NeedsGrad(a, b);
        var y = NewTensor(shape, needs);
        for (var r = 0; r < a.Rows; r++)
        {
            a.Data.AsSpan(r * ca, ca).CopyTo(y.Data.AsSpan(r * (ca + cb), ca));
            b.Data.AsSpan(r * cb, cb).CopyTo(y.Data.AsSpan((r * (ca + cb)) + ca, cb));
        }

        if (needs)
        {
            Record(new Node { Op = Op.Concat, Out = y, A = a, B = b });
        }

        End(Op.Concat, t0);
        return y;
    }

    /// <summary>The sum of all elements, as a tensor of shape [1].</summary>
    public Tensor Sum(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var t0 = Begin();
        var needs = NeedsGrad(x);
        var y = NewTensor(Scalar, needs);
        double s = 0;
        foreach (var v in x.Data)
        {
            s += v;
        }

        y.Data[0] = (float)s;
        if (needs)
        {
            Record(new Node { Op = Op.Sum, Out = y, A = x });
        }

        End(Op.Sum, t0);
        return y;
    }

    /// <summary>The mean of all elements, as a tensor of shape [1].</summary>
    public Tensor Mean(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Scale(Sum(x), 1f / x.Length);
    }

    private ulong DropoutStream(int nodeIndex) => ((ulong)Step << 24) ^ (ulong)nodeIndex;

    private void DropoutApply(Span<float> y, ReadOnlySpan<float> x, float p, ulong stream, bool accumulate)
    {
        var threshold = (uint)(p * 4294967296.0);
        var keep = 1f / (1 - p);
        for (var i = 0; i < x.Length; i++)
        {
            var v = Rng.Hash(Seed, stream, (ulong)i) < threshold ? 0f : x[i] * keep;
            y[i] = accumulate ? y[i] + v : v;
        }
    }

    private Tensor Unary(Op op, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var t0 = Begin();
        var needs = NeedsGrad(x);
        var y = NewTensor(x.Shape, needs);
        switch (op)
        {
            case Op.Relu:
                Activations.ReluForward(y.Data, x.Data);
                break;
            case Op.ReluSquared:
                Activations.ReluSquaredForward(y.Data, x.Data);
                break;
            default:
                Activations.SiluForward(y.Data, x.Data);
                break;
        }

        if (needs)
        {
            Record(new Node { Op = op, Out = y, A = x, Saved0 = op == Op.Silu ? NewTensor(x.Shape, false) : null });
        }

        End(op, t0);
        return y;
    }

    private Tensor Binary(Op op, Tensor a, Tensor b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Length % b.Length != 0)
        {
            throw new ArgumentException($"cannot broadcast {b} over {a}: its length must divide {a.Length}");
        }

        var t0 = Begin();
        var needs = NeedsGrad(a, b);
        var y = NewTensor(a.Shape, needs);
        var n = b.Length;
        if (op == Op.Add)
        {
            Bulk.Add(y.Data, a.Data, b.Data);
        }
        else
        {
            for (var i = 0; i < a.Length; i += n)
            {
                TensorPrimitives.Multiply(a.Data.AsSpan(i, n), b.Data, y.Data.AsSpan(i, n));
            }
        }

        if (needs)
        {
            Record(new Node { Op = op, Out = y, A = a, B = b });
        }

        End(op, t0);
        return y;
    }

    private void BinaryBackward(ref Node node)
    {
        var (y, a, b) = (node.Out, node.A!, node.B!);
        var dy = y.GradBuffer!;
        var n = b.Length;
        if (node.Op == Op.Add && a.GradBuffer is { } daAll)
        {
            if (TakeFresh(daAll))
            {
                dy.AsSpan().CopyTo(daAll);
            }
            else
            {
                Bulk.Add(daAll, daAll, dy);
            }
        }

        if (node.Op == Op.Add && b.GradBuffer is { } dbAll && TakeFresh(dbAll))
        {
            dy.AsSpan().CopyTo(dbAll); // same length as a: a fresh b is written whole, once
            return;
        }

        for (var i = 0; i < a.Length; i += n)
        {
            var dyi = dy.AsSpan(i, n);
            if (node.Op == Op.Add)
            {
                if (b.GradBuffer is { } db)
                {
                    TensorPrimitives.Add(db, dyi, db);
                }
            }
            else
            {
                if (a.GradBuffer is { } da)
                {
                    TensorPrimitives.FusedMultiplyAdd(dyi, b.Data, da.AsSpan(i, n), da.AsSpan(i, n));
                }

                if (b.GradBuffer is { } db)
                {
                    TensorPrimitives.FusedMultiplyAdd(dyi, a.Data.AsSpan(i, n), db, db);
                }
            }
        }
    }

    private void ElementwiseBackward(ref Node node)
    {
        var (y, x) = (node.Out, node.A!);
        if (node.Op == Op.Concat)
        {
            ConcatBackward(y, x, node.B!);
            return;
        }

        if (x.GradBuffer is not { } dx)
        {
            return;
        }

        var dy = y.GradBuffer!;
        switch (node.Op)
        {
            case Op.Scale:
                TensorPrimitives.MultiplyAdd(dy, node.F0, dx, dx);
                break;
            case Op.Gelu:
                Activations.GeluBackward(dx, dy, x.Data, node.Saved0!.Data, overwrite: TakeFresh(dx));
                break;
            case Op.Relu:
                Activations.ReluBackward(dx, dy, x.Data);
                break;
            case Op.ReluSquared:
                Activations.ReluSquaredBackward(dx, dy, x.Data);
                break;
            case Op.Silu:
                Activations.SiluBackward(dx, dy, x.Data, node.Saved0!.Data);
                break;
            case Op.Dropout:
                DropoutApply(dx, dy, node.F0, DropoutStream(node.I0), accumulate: true);
                break;
            case Op.Slice:
                var count = y.Columns;
                var c = x.Columns;
                for (var r = 0; r < x.Rows; r++)
                {
                    var dst = dx.AsSpan((r * c) + node.I0, count);
                    TensorPrimitives.Add(dst, dy.AsSpan(r * count, count), dst);
                }

                break;
            case Op.Sum:
                TensorPrimitives.Add(dx, dy[0], dx);
                break;
            case Op.Softcap:
                Activations.SoftcapBackward(dx, dy, y.Data, node.F0);
                break;
            default:
                throw new InvalidOperationException($"no elementwise backward for {node.Op}");
        }
    }

    private static void ConcatBackward(Tensor y, Tensor a, Tensor b)
    {
        var dy = y.GradBuffer!;
        var (ca, cb) = (a.Columns, b.Columns);
        for (var r = 0; r < a.Rows; r++)
        {
            var row = dy.AsSpan(r * (ca + cb), ca + cb);
            if (a.GradBuffer is { } da)
            {
                TensorPrimitives.Add(da.AsSpan(r * ca, ca), row[..ca], da.AsSpan(r * ca, ca));
            }

            if (b.GradBuffer is { } db)
            {
                TensorPrimitives.Add(db.AsSpan(r * cb, cb), row[ca..], db.AsSpan(r * cb, cb));
            }
        }
    }
}
