namespace AutoResearch.Nn;

/// <summary>The kinds of operation a <see cref="Graph"/> records; also the rows of its profile.</summary>
public enum Op
{
    /// <summary>Fully connected layer, <c>x W^T + b</c>.</summary>
    Linear,

    /// <summary>Batched matrix multiply.</summary>
    MatMul,

    /// <summary>Elementwise sum, with the second operand repeated.</summary>
    Add,

    /// <summary>Elementwise product, with the second operand repeated.</summary>
    Mul,

    /// <summary>Multiplication by a constant.</summary>
    Scale,

    /// <summary>Row lookup.</summary>
    Embedding,

    /// <summary>Layer normalisation.</summary>
    LayerNorm,

    /// <summary>Root-mean-square normalisation.</summary>
    RmsNorm,

    /// <summary>GELU (tanh approximation).</summary>
    Gelu,

    /// <summary>ReLU.</summary>
    Relu,

    /// <summary>Squared ReLU.</summary>
    ReluSquared,

    /// <summary>SiLU (swish).</summary>
    Silu,

    /// <summary>Soft-capping, <c>cap tanh(x / cap)</c>.</summary>
    Softcap,

    /// <summary>Row softmax.</summary>
    Softmax,

    /// <summary>Fused causal self-attention.</summary>
    Attention,

    /// <summary>Rotary position embedding.</summary>
    Rotary,

    /// <summary>Cross-entropy fused with log-softmax.</summary>
    CrossEntropy,

    /// <summary>Seeded inverted dropout.</summary>
    Dropout,

    /// <summary>A column range of the last dimension (a copy).</summary>
    Slice,

    /// <summary>Two tensors side by side along the last dimension (a copy).</summary>
    Concat,

    /// <summary>Sum of all elements.</summary>
    Sum,

    /// <summary>Zeroing of gradients before a backward pass.</summary>
    ZeroGrad,

    /// <summary>An optimizer step (not a graph op; profiled alongside).</summary>
    OptimizerStep,

    /// <summary>Gradient norm and clipping (not a graph op; profiled alongside).</summary>
    GradientClip,
}
