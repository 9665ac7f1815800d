namespace AutoResearch.Nn;

/// <summary>
/// A reverse-mode autograd tape with an arena. Each op method computes its output at once and, when
/// gradients are recorded, appends a node to the tape; <see cref="Backward"/> walks the tape in reverse.
/// </summary>
/// <remarks>
/// Call <see cref="Reset"/> at the start of every step. The arena then hands out the same buffers in the
/// same order as the previous step, so after the first step a training step allocates nothing.
/// A graph is used from one thread; the kernels themselves run on <see cref="WorkerPool.Shared"/>.
/// </remarks>
public sealed partial class Graph
{
    private static int[] Scalar { get; } = [1];
    private readonly List<Tensor> _arena = [];
    private readonly List<bool> _isView = [];
    private readonly List<float[]> _gradsToClear = [];
    private readonly Dictionary<float[], int> _consumers = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<float[]> _fresh = new(ReferenceEqualityComparer.Instance);
    private Node[] _nodes = new Node[64];
    private int _nodeCount;
    private int _cursor;

    /// <summary>Creates a graph.</summary>
    /// <param name="recordGradients">False for evaluation: nothing is recorded and no gradient buffers are made.</param>
    /// <param name="seed">Seed of the dropout masks.</param>
    public Graph(bool recordGradients = true, ulong seed = 0)
    {
        RecordsGradients = recordGradients;
        Seed = seed;
    }

    /// <summary>Whether ops are recorded for a backward pass (training) or not (evaluation).</summary>
    public bool RecordsGradients { get; }

    /// <summary>Seed of the dropout masks.</summary>
    public ulong Seed { get; }

    /// <summary>Number of <see cref="Reset"/> calls so far; dropout masks differ per step.</summary>
    public long Step { get; private set; }

    /// <summary>Starts a new step: rewinds the arena and clears the tape.</summary>
    public void Reset()
    {
        _cursor = 0;
        Array.Clear(_nodes, 0, _nodeCount);
        _nodeCount = 0;
        _consumers.Clear();
        _fresh.Clear();
        Step++;
    }

    /// <summary>
    /// Back-propagates from the scalar <paramref name="loss"/>: zeroes the gradients of this step's
    /// intermediate tensors, sets d loss = 1 and accumulates into every tensor that requires a gradient.
    /// Parameter gradients accumulate; zero them in the optimizer.
    /// </summary>
    /// <exception cref="InvalidOperationException">The graph does not record gradients, or the loss is not a recorded scalar.</exception>
    public void Backward(Tensor loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (!RecordsGradients || loss.GradBuffer is null || loss.Length != 1)
        {
            throw new InvalidOperationException($"backward needs a scalar loss recorded by a training graph, got {loss}");
        }

        var t0 = Profiler.Begin();
        // A gradient with exactly one consumer whose backward pass can overwrite it needs no clearing:
        // that consumer writes every element first. Every other gradient starts at zero and accumulates.
        _gradsToClear.Clear();
        _fresh.Clear();
        for (var i = 0; i < _cursor; i++)
        {
            if (!_isView[i] && _arena[i].GradBuffer is { } g)
            {
                if (_consumers.TryGetValue(g, out var uses) && uses == 1)
                {
                    _fresh.Add(g);
                }
                else
                {
                    _gradsToClear.Add(g);
                }
            }
        }

        Kernels.Bulk.Clear(_gradsToClear);

        Profiler.EndBackward(Op.ZeroGrad, t0);
        loss.GradBuffer[0] = 1f;
        for (var i = _nodeCount - 1; i >= 0; i--)
        {
            ref var node = ref _nodes[i];
            t0 = Profiler.Begin();
            BackwardNode(ref node);
            Profiler.EndBackward(node.Op, t0);
        }
    }

    /// <summary>A view of <paramref name="x"/> as a matrix [d0, d1], sharing data and gradient.</summary>
    public Tensor Reshape(Tensor x, int d0, int d1)
    {
        Span<int> shape = stackalloc int[2];
        (shape[0], shape[1]) = (d0, d1);
        return Reshape(x, shape);
    }

    /// <summary>A view of <paramref name="x"/> as [d0, d1, d2], sharing data and gradient.</summary>
    public Tensor Reshape(Tensor x, int d0, int d1, int d2)
    {
        Span<int> shape = stackalloc int[3];
        (shape[0], shape[1], shape[2]) = (d0, d1, d2);
        return Reshape(x, shape);
    }

    /// <summary>A view of <paramref name="x"/> as [d0, d1, d2, d3], sharing data and gradient.</summary>
    public Tensor Reshape(Tensor x, int d0, int d1, int d2, int d3)
    {
        Span<int> shape = stackalloc int[4];
        (shape[0], shape[1], shape[2], shape[3]) = (d0, d1, d2, d3);
        return Reshape(x, shape);
    }

    /// <summary>A view of <paramref name="x"/> with another shape of the same length, sharing data and gradient.</summary>
    public Tensor Reshape(Tensor x, ReadOnlySpan<int> shape)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (Tensor.CheckedLength(shape) != x.Length)
        {
            throw new ArgumentException($"cannot view {x} as [{string.Join(", ", shape.ToArray())}]", nameof(shape));
        }

        return NextSlot(shape, x.Data, x.GradBuffer, view: true);
    }

    internal bool NeedsGrad(Tensor a) => RecordsGradients && a.GradBuffer is not null;

    internal bool NeedsGrad(Tensor a, Tensor? b) => RecordsGradients && (a.GradBuffer is not null || b?.GradBuffer is not null);

    internal Tensor NewTensor(ReadOnlySpan<int> shape, bool requiresGrad)
    {
        var n = Tensor.CheckedLength(shape);
        if (_cursor < _arena.Count && !_isView[_cursor])
        {
            var t = _arena[_cursor];
            if (t.Data.Length == n && (t.GradBuffer is not null) == requiresGrad)
            {
                t.SetShape(shape);
                _cursor++;
                return t;
            }
        }

        return NextSlot(shape, new float[n], requiresGrad ? new float[n] : null, view: false);
    }

    private Tensor NextSlot(ReadOnlySpan<int> shape, float[] data, float[]? grad, bool view)
    {
        if (_cursor < _arena.Count && view && _isView[_cursor])
        {
            var t = _arena[_cursor];
            t.Data = data;
            t.GradBuffer = grad;
            t.SetShape(shape);
            _cursor++;
            return t;
        }

        var fresh = new Tensor(data, grad, shape);
        if (_cursor < _arena.Count)
        {
            _arena[_cursor] = fresh;
            _isView[_cursor] = view;
        }
        else
        {
            _arena.Add(fresh);
            _isView.Add(view);
        }

        _cursor++;
        return fresh;
    }

    internal void Record(in Node node)
    {
        if (_nodeCount == _nodes.Length)
        {
            Array.Resize(ref _nodes, _nodes.Length * 2);
        }

        _nodes[_nodeCount++] = node;
        Consume(node.A, node.Op == Op.Linear || node.Op == Op.Attention || node.Op == Op.Gelu || node.Op == Op.LayerNorm || node.Op == Op.CrossEntropy || node.Op == Op.Add);
        Consume(node.B, node.Op == Op.Add && node.B!.Length == node.A!.Length);
        Consume(node.C, overwrites: false);
    }

    /// <summary>True (once) when <paramref name="grad"/> has this node as its only consumer, which must then overwrite it.</summary>
    internal bool TakeFresh(float[]? grad) => grad is not null && _fresh.Remove(grad);

    // Counts a use of a gradient buffer; a use that can only accumulate counts as many, so it is never fresh.
    private void Consume(Tensor? input, bool overwrites)
    {
        if (input?.GradBuffer is { } g)
        {
            _consumers[g] = (_consumers.TryGetValue(g, out var uses) ? uses : 0) + (overwrites ? 1 : 1000);
        }
    }

    internal static long Begin() => Profiler.Begin();

    internal static void End(Op op, long t0) => Profiler.EndForward(op, t0);
}
