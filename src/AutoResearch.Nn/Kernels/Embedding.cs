namespace AutoResearch.Nn.Kernels;

/// <summary>
/// Row lookup. Shapes: <c>table [V, C]</c>, <c>ids [N]</c>, <c>out [N, C]</c>: <c>out[i] = table[ids[i]]</c>.
/// The backward pass adds each output row's gradient into its table row, in row order.
/// </summary>
internal static class Embedding
{
    /// <summary>Gathers rows of <paramref name="table"/>.</summary>
    public static void Forward(Span<float> output, ReadOnlySpan<float> table, ReadOnlySpan<int> ids, int c)
    {
        var v = table.Length / c;
        for (var i = 0; i < ids.Length; i++)
        {
            var id = ids[i];
            if ((uint)id >= (uint)v)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"token id at position {i} is outside the table of {v} rows");
            }

            table.Slice(id * c, c).CopyTo(output.Slice(i * c, c));
        }
    }

    /// <summary>Scatters gradients: <c>dtable[ids[i]] += dout[i]</c>.</summary>
    public static void Backward(Span<float> dtable, ReadOnlySpan<float> dout, ReadOnlySpan<int> ids, int c)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            var row = dtable.Slice(ids[i] * c, c);
            System.Numerics.Tensors.TensorPrimitives.Add(row, dout.Slice(i * c, c), row);
        }
    }
}
