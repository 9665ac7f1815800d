namespace AutoResearch.Nn;

public sealed partial class Graph
{
    /// <summary>
    /// Looks up rows of <c>table [V, C]</c> for <paramref name="ids"/> (length N); returns <c>[N, C]</c>.
    /// The array is read again in the backward pass, so keep it unchanged until then.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, V).</exception>
    public Tensor Embedding(Tensor table, int[] ids)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(ids);
        if (table.Rank != 2)
        {
            throw new ArgumentException($"an embedding table is [V, C], got {table}", nameof(table));
        }

        var t0 = Begin();
        var needs = NeedsGrad(table);
        var y = NewTensor([ids.Length, table.Columns], needs);
        Kernels.Embedding.Forward(y.Data, table.Data, ids, table.Columns);
        if (needs)
        {
            Record(new Node { Op = Op.Embedding, Out = y, A = table, Ids = ids });
        }

        End(Op.Embedding, t0);
        return y;
    }

    /// <summary>
    /// Mean cross-entropy (nats) of <c>logits [N, V]</c> against <paramref name="targets"/> (length N, each in
    /// [0, V)), fused with the log-softmax; returns a tensor of shape [1]. The targets array is read again
    /// in the backward pass.
    /// </summary>
    public Tensor CrossEntropy(Tensor logits, int[] targets)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        if (logits.Rows != targets.Length)
        {
            throw new ArgumentException($"{logits} has {logits.Rows} rows but there are {targets.Length} targets", nameof(targets));
        }

        var t0 = Begin();
        var needs = NeedsGrad(logits);
        var loss = NewTensor(Scalar, needs);
        var lse = NewTensor([targets.Length], false);
        var rows = NewTensor([targets.Length], false);
        loss.Data[0] = Kernels.Softmax.CrossEntropyForward(lse.Data, rows.Data, logits.Data, targets, logits.Columns);
        if (needs)
        {
            Record(new Node { Op = Op.CrossEntropy, Out = loss, A = logits, Saved0 = lse, Ids = targets });
        }

        End(Op.CrossEntropy, t0);
        return loss;
    }

    private static void EmbeddingBackward(ref Node node) =>
        Kernels.Embedding.Backward(node.A!.GradBuffer, node.Out.GradBuffer, node.Ids, node.A.Columns);

    private void CrossEntropyBackward(ref Node node)
    {
        var logits = node.A!;
        if (logits.GradBuffer is { } dl)
        {
            var n = node.Ids!.Length;
            Kernels.Softmax.CrossEntropyBackward(dl, logits.Data, node.Saved0!.Data, node.Ids, logits.Columns, node.Out.GradBuffer![0] / n, overwrite: TakeFresh(dl));
        }
    }
}
