using AutoResearch.Nn.Kernels;

namespace AutoResearch.Nn;

/// <summary>
/// AdamW (Loshchilov and Hutter), as in PyTorch: for each parameter p with gradient g at step t,
/// <c>p -= lr wd p</c> (decoupled decay), <c>m = b1 m + (1-b1) g</c>, <c>v = b2 v + (1-b2) g^2</c>,
/// <c>p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)</c>.
/// </summary>
public sealed class AdamW
{
    private readonly Tensor[] _parameters;
    private readonly float[][] _m;
    private readonly float[][] _v;
    private readonly float[] _weightDecay;
    private readonly float[] _lrScale;

    /// <summary>Creates the optimizer over <paramref name="parameters"/>, which must all require gradients.</summary>
    /// <param name="parameters">The tensors to update.</param>
    /// <param name="beta1">First-moment decay; default 0.9.</param>
    /// <param name="beta2">Second-moment decay; default 0.95 (nanoGPT's; PyTorch's default is 0.999).</param>
    /// <param name="eps">Added to the root of the second moment; default 1e-8.</param>
    /// <param name="weightDecay">Decoupled weight decay per unit learning rate; default 0.</param>
    /// <param name="decays">Which tensors get weight decay; default: those of rank 2 or more (matrices, not gains or biases).</param>
    public AdamW(IEnumerable<Tensor> parameters, float beta1 = 0.9f, float beta2 = 0.95f, float eps = 1e-8f,
        float weightDecay = 0f, Func<Tensor, bool>? decays = null)
        : this(OnePerParameter(parameters, weightDecay, decays ?? (p => p.Rank >= 2)), beta1, beta2, eps, nameof(parameters))
    {
        WeightDecay = weightDecay;
    }

    /// <summary>
    /// Creates the optimizer over parameter groups, each with its own weight decay and learning-rate scale (nanoGPT's
    /// param groups): e.g. embeddings, value embeddings, matrices and gains, each decayed differently.
    /// </summary>
    /// <param name="groups">The groups; a tensor may appear in one group only.</param>
    /// <param name="beta1">First-moment decay; default 0.9.</param>
    /// <param name="beta2">Second-moment decay; default 0.95.</param>
    /// <param name="eps">Added to the root of the second moment; default 1e-8.</param>
    /// <exception cref="ArgumentException">A tensor is in two groups, or does not require a gradient.</exception>
    public AdamW(IEnumerable<ParameterGroup> groups, float beta1 = 0.9f, float beta2 = 0.95f, float eps = 1e-8f)
        : this([.. groups ?? throw new ArgumentNullException(nameof(groups))], beta1, beta2, eps, nameof(groups))
    {
    }

    private AdamW(List<ParameterGroup> groups, float beta1, float beta2, float eps, string argument)
    {
        _parameters = [.. groups.SelectMany(g => g.Parameters)];
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var p in _parameters)
        {
            if (!p.RequiresGrad)
            {
                throw new ArgumentException($"parameter {p} does not require a gradient", argument);
            }

            if (!seen.Add(p))
            {
                throw new ArgumentException($"parameter {p} is given twice", argument);
            }
        }

        _m = [.. _parameters.Select(p => new float[p.Length])];
        _v = [.. _parameters.Select(p => new float[p.Length])];
        _weightDecay = [.. groups.SelectMany(g => g.Parameters.Select(_ => g.WeightDecay))];
        _lrScale = [.. groups.SelectMany(g => g.Parameters.Select(_ => g.LearningRateScale))];
        (Beta1, Beta2, Eps, WeightDecay) = (beta1, beta2, eps, groups.Count == 0 ? 0f : groups.Max(g => g.WeightDecay));
    }

    // The single-list form as groups of one, in the order given: decayed or not by decays.
    private static List<ParameterGroup> OnePerParameter(IEnumerable<Tensor> parameters, float weightDecay, Func<Tensor, bool> decays)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return [.. parameters.Select(p => new ParameterGroup([p], decays(p) ? weightDecay : 0f))];
    }

    /// <summary>First-moment decay.</summary>
    public float Beta1 { get; }

    /// <summary>Second-moment decay.</summary>
    public float Beta2 { get; }

    /// <summary>Added to the root of the second moment.</summary>
    public float Eps { get; }

    /// <summary>Decoupled weight decay per unit learning rate (with groups: the largest of theirs).</summary>
    public float WeightDecay { get; }

    /// <summary>Number of steps taken.</summary>
    public int StepCount { get; private set; }

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>Sets every parameter gradient to zero.</summary>
    public void ZeroGrad() => Gradients.Zero(_parameters);

    /// <summary>Takes one step with learning rate <paramref name="lr"/>.</summary>
    public void Step(float lr)
    {
        var t0 = Profiler.Begin();
        StepCount++;
        var bc1 = 1 - Math.Pow(Beta1, StepCount);
        var bc2 = 1 - Math.Pow(Beta2, StepCount);
        var rootBc2 = (float)Math.Sqrt(bc2);
        for (var i = 0; i < _parameters.Length; i++)
        {
            var groupLr = lr * _lrScale[i];
            var decay = 1 - (groupLr * _weightDecay[i]);
            Update(_parameters[i].Data, _parameters[i].Grad, _m[i], _v[i], decay, (float)(groupLr / bc1), rootBc2);
        }

        Profiler.EndBackward(Op.OptimizerStep, t0);
    }

    // p = p*decay - stepSize * m / (sqrt(v)/rootBc2 + eps)
    private unsafe void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, float decay, float stepSize, float rootBc2)
    {
        var (b1, b2, eps) = (Beta1, Beta2, Eps);
        int i;
        fixed (float* pp = p)
        fixed (float* pg = g)
        fixed (float* pm = m)
        fixed (float* pv = v)
        {
            i = FloatVectors.Width switch
            {
                8 => UpdateVectors<Wide>(pp, pg, pm, pv, p.Length, decay, stepSize, rootBc2),
                4 => UpdateVectors<Narrow>(pp, pg, pm, pv, p.Length, decay, stepSize, rootBc2),
                _ => 0,
            };
        }

        for (; i < p.Length; i++)
        {
            m[i] = (b1 * m[i]) + ((1 - b1) * g[i]);
            v[i] = (b2 * v[i]) + ((1 - b2) * g[i] * g[i]);
            p[i] = (p[i] * decay) - (stepSize * m[i] / ((MathF.Sqrt(v[i]) / rootBc2) + eps));
        }
    }

    // The whole vectors of the update above; returns where the scalar tail starts.
    private unsafe int UpdateVectors<TV>(float* p, float* g, float* m, float* v, int n, float decay, float stepSize, float rootBc2)
        where TV : unmanaged, IFloatVector<TV>
    {
        var vb1 = TV.Create(Beta1);
        var vb1c = TV.Create(1 - Beta1);
        var vb2 = TV.Create(Beta2);
        var vb2c = TV.Create(1 - Beta2);
        var vEps = TV.Create(Eps);
        var vInvRoot = TV.Create(1 / rootBc2);
        var vStep = TV.Create(stepSize);
        var vDecay = TV.Create(decay);
        var i = 0;
        for (; i <= n - TV.Count; i += TV.Count)
        {
            var gi = TV.Load(g + i);
            var mi = (vb1 * TV.Load(m + i)) + (vb1c * gi);
            var vi = (vb2 * TV.Load(v + i)) + (vb2c * gi * gi);
            var pi = (TV.Load(p + i) * vDecay) - (vStep * mi / ((TV.Sqrt(vi) * vInvRoot) + vEps));
            TV.Store(mi, m + i);
            TV.Store(vi, v + i);
            TV.Store(pi, p + i);
        }

        return i;
    }
}
