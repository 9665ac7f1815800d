using AutoResearch.Nn.Kernels;

namespace AutoResearch.Nn;

public sealed partial class Graph
{
    private readonly Dictionary<(int T, int D), Tensor> _rotaryTables = [];

    /// <summary>
    /// Fused causal self-attention over <c>qkv [B, T, 3C]</c> (queries, keys and values side by side, as a
    /// single linear layer makes them) with <paramref name="heads"/> heads of size C/heads; returns
    /// <c>[B, T, C]</c>. Scores are scaled by <c>1/sqrt(head size)</c>; only the causal half is computed.
    /// With <paramref name="rotary"/> the queries and keys get rotary position embeddings first.
    /// </summary>
    public Tensor CausalSelfAttention(Tensor qkv, int heads, bool rotary = false)
    {
        ArgumentNullException.ThrowIfNull(qkv);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        if (qkv.Rank != 3 || qkv.Columns % 3 != 0 || qkv.Columns / 3 % heads != 0)
        {
            throw new ArgumentException($"attention needs qkv [B, T, 3C] with C divisible by {heads} heads, got {qkv}", nameof(qkv));
        }

        var t0 = Begin();
        var (b, t, c) = (qkv.Shape[0], qkv.Shape[1], qkv.Columns / 3);
        var needs = NeedsGrad(qkv);
        var y = NewTensor([b, t, c], needs);
        var probs = NewTensor([b, heads, t, t], false);
        var table = rotary ? RotaryTable(t, c / heads) : null;
        var half = t * (c / heads) / 2;
        Attention.Forward(y.Data, probs.Data, qkv.Data, b, t, c, heads,
            table is null ? default : table.Data.AsSpan(0, half), table is null ? default : table.Data.AsSpan(half, half));
        if (needs)
        {
            Record(new Node { Op = Op.Attention, Out = y, A = qkv, Saved0 = probs, Saved1 = table, I0 = heads });
        }

        End(Op.Attention, t0);
        return y;
    }

    /// <summary>
    /// Rotary position embeddings on <c>x [B, T, C]</c> split into <paramref name="heads"/> heads; the
    /// position of row t is t. Returns a new tensor of the same shape.
    /// </summary>
    public Tensor Rotary(Tensor x, int heads)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        if (x.Rank != 3 || x.Columns % heads != 0)
        {
            throw new ArgumentException($"rotary needs x [B, T, C] with C divisible by {heads} heads, got {x}", nameof(x));
        }

        var t0 = Begin();
        var needs = NeedsGrad(x);
        var y = NewTensor(x.Shape, needs);
        var table = RotaryTable(x.Shape[1], x.Columns / heads);
        RotaryApply(y.Data, x.Data, x.Shape[1], x.Columns, heads, table, inverse: false);
        if (needs)
        {
            Record(new Node { Op = Op.Rotary, Out = y, A = x, Saved1 = table, I0 = heads });
        }

        End(Op.Rotary, t0);
        return y;
    }

    /// <summary>Softmax over the last dimension (the row maximum is subtracted first).</summary>
    public Tensor Softmax(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var t0 = Begin();
        var needs = NeedsGrad(x);
        var y = NewTensor(x.Shape, needs);
        Kernels.Softmax.Forward(y.Data, x.Data, x.Columns);
        if (needs)
        {
            Record(new Node { Op = Op.Softmax, Out = y, A = x });
        }

        End(Op.Softmax, t0);
        return y;
    }

    private Tensor RotaryTable(int t, int d)
    {
        if (!_rotaryTables.TryGetValue((t, d), out var table))
        {
            var half = t * d / 2;
            table = Tensor.Zeros([2 * half]);
            Kernels.Rotary.Tables(table.Data.AsSpan(0, half), table.Data.AsSpan(half, half), t, d);
            _rotaryTables[(t, d)] = table;
        }

        return table;
    }

    private static void RotaryApply(Span<float> y, ReadOnlySpan<float> x, int t, int c, int heads, Tensor table, bool inverse)
    {
        var d = c / heads;
        var half = t * d / 2;
        var cos = table.Data.AsSpan(0, half);
        var sin = table.Data.AsSpan(half, half);
        Span<float> tmp = stackalloc float[d];
        for (var r = 0; r < x.Length / c; r++)
        {
            for (var h = 0; h < heads; h++)
            {
                var offset = (r * c) + (h * d);
                Kernels.Rotary.Rotate(tmp, x.Slice(offset, d), cos, sin, r % t, inverse);
                if (inverse)
                {
                    System.Numerics.Tensors.TensorPrimitives.Add(y.Slice(offset, d), tmp, y.Slice(offset, d));
                }
                else
                {
                    tmp.CopyTo(y.Slice(offset, d));
                }
            }
        }
    }

    private void AttentionBackward(ref Node node)
    {
        var (y, qkv) = (node.Out, node.A!);
        if (qkv.GradBuffer is not { } dqkv)
        {
            return;
        }

        var (b, t, c, heads) = (qkv.Shape[0], qkv.Shape[1], qkv.Columns / 3, node.I0);
        var half = t * (c / heads) / 2;
        var table = node.Saved1;
        Attention.Backward(dqkv, y.GradBuffer, qkv.Data, node.Saved0!.Data, b, t, c, heads,
            table is null ? default : table.Data.AsSpan(0, half), table is null ? default : table.Data.AsSpan(half, half), overwrite: TakeFresh(dqkv));
    }

    private static void RotaryBackward(ref Node node)
    {
        var (y, x) = (node.Out, node.A!);
        if (x.GradBuffer is { } dx)
        {
            RotaryApply(dx, y.GradBuffer, x.Shape[1], x.Columns, node.I0, node.Saved1!, inverse: true);
        }
    }

    private static void SoftmaxBackward(ref Node node)
    {
        if (node.A!.GradBuffer is { } dx)
        {
            Kernels.Softmax.Backward(dx, node.Out.GradBuffer, node.Out.Data, node.Out.Columns);
        }
    }
}
