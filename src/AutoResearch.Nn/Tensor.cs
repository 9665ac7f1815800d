namespace AutoResearch.Nn;

/// <summary>
/// A dense, row-major float32 tensor of rank 1 to 4, with an optional gradient buffer of the same length.
/// </summary>
/// <remarks>
/// Parameters are created by the static factories and live for the whole run. Intermediate tensors are
/// handed out by a <see cref="Graph"/> from its arena and are reused, buffer and all, on the next step.
/// A view (see <see cref="Graph.Reshape"/>) shares <see cref="Data"/> and <see cref="Grad"/> with its source.
/// </remarks>
public sealed class Tensor
{
    private readonly int[] _shape = new int[4];

    internal Tensor(float[] data, float[]? grad, ReadOnlySpan<int> shape)
    {
        Data = data;
        GradBuffer = grad;
        SetShape(shape);
    }

    /// <summary>The values, row-major; exactly <see cref="Length"/> elements.</summary>
    public float[] Data { get; internal set; }

    /// <summary>The gradient buffer, or null for a tensor that does not need one.</summary>
    internal float[]? GradBuffer { get; set; }

    /// <summary>The gradient of the last backward pass (same length and layout as <see cref="Data"/>).</summary>
    /// <exception cref="InvalidOperationException">The tensor does not require a gradient.</exception>
    public float[] Grad => GradBuffer ?? throw new InvalidOperationException("this tensor has no gradient; create it with requiresGrad: true");

    /// <summary>Whether gradients flow into this tensor.</summary>
    public bool RequiresGrad => GradBuffer is not null;

    /// <summary>Number of dimensions (1 to 4).</summary>
    public int Rank { get; private set; }

    /// <summary>Number of elements.</summary>
    public int Length { get; private set; }

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Shape => _shape.AsSpan(0, Rank);

    /// <summary>The size of the last dimension (the row length).</summary>
    public int Columns => _shape[Rank - 1];

    /// <summary>The number of rows: the product of all dimensions but the last.</summary>
    public int Rows => Length / Columns;

    /// <summary>An optional name, used in error messages and profiles.</summary>
    public string? Name { get; set; }

    /// <summary>The first element; the value of a scalar such as a loss.</summary>
    public float Item => Data[0];

    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(ReadOnlySpan<int> shape, bool requiresGrad = false)
    {
        var n = CheckedLength(shape);
        return new Tensor(new float[n], requiresGrad ? new float[n] : null, shape);
    }

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(ReadOnlySpan<int> shape, float value, bool requiresGrad = false)
    {
        var t = Zeros(shape, requiresGrad);
        t.Data.AsSpan().Fill(value);
        return t;
    }

    /// <summary>A tensor of independent normal samples with mean 0 and standard deviation <paramref name="std"/>.</summary>
    public static Tensor Normal(ReadOnlySpan<int> shape, float std, Rng rng, bool requiresGrad = false)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var t = Zeros(shape, requiresGrad);
        for (var i = 0; i < t.Length; i++)
        {
            t.Data[i] = std * rng.NextGaussian();
        }

        return t;
    }

    /// <summary>A tensor holding a copy of <paramref name="values"/>.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> values, ReadOnlySpan<int> shape, bool requiresGrad = false)
    {
        var t = Zeros(shape, requiresGrad);
        if (values.Length != t.Length)
        {
            throw new ArgumentException($"got {values.Length} values for a tensor of {t.Length} elements", nameof(values));
        }

        values.CopyTo(t.Data);
        return t;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name ?? "tensor"}[{string.Join(", ", Shape.ToArray())}]";

    internal void SetShape(ReadOnlySpan<int> shape)
    {
        if (shape.Length is < 1 or > 4)
        {
            throw new ArgumentOutOfRangeException(nameof(shape), shape.Length, "rank must be 1 to 4");
        }

        Rank = shape.Length;
        shape.CopyTo(_shape);
        Length = CheckedLength(shape);
        if (Data.Length != Length)
        {
            throw new ArgumentException($"shape holds {Length} elements but the buffer has {Data.Length}", nameof(shape));
        }
    }

    internal static int CheckedLength(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(d, nameof(shape));
            n *= d;
        }

        return checked((int)n);
    }
}
