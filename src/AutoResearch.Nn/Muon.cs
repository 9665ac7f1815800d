using System.Numerics.Tensors;
using AutoResearch.Nn.Kernels;

namespace AutoResearch.Nn;

/// <summary>
/// Muon (Jordan et al., the nanoGPT speedrun's optimizer) for weight matrices: for each parameter W [R, C] with
/// gradient G, <c>M = mu M + (1 - mu) G</c>, the update <c>U = (1 - mu) G + mu M</c> (Nesterov) or <c>U = M</c>,
/// orthogonalised by <see cref="NewtonSchulz"/>, then <c>W = W (1 - lr wd) - lr sqrt(max(1, R / C)) O(U)</c>. A tensor
/// of rank above 2 is read as [first dimension, the rest]. Meant for the hidden matrices only: embeddings, the output
/// head, gains and biases belong to <see cref="AdamW"/>. A step allocates nothing.
/// </summary>
public sealed class Muon
{
    private readonly Tensor[] _parameters;
    private readonly float[][] _momentum;
    private readonly float[] _update;
    private readonly float[] _orthogonal;
    private readonly float[] _scratch;

    /// <summary>Creates the optimizer over <paramref name="parameters"/> (matrices that require gradients).</summary>
    /// <param name="parameters">The matrices to update.</param>
    /// <param name="momentum">Momentum mu, in [0, 1); default 0.95.</param>
    /// <param name="nesterov">Nesterov momentum; default true.</param>
    /// <param name="steps">Newton-Schulz iterations; default 5.</param>
    /// <param name="weightDecay">Decoupled weight decay per unit learning rate; default 0.</param>
    /// <exception cref="ArgumentException">A parameter is not a matrix or does not require a gradient.</exception>
    public Muon(IEnumerable<Tensor> parameters, float momentum = 0.95f, bool nesterov = true, int steps = 5, float weightDecay = 0f)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegative(momentum);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(momentum, 1f);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        ArgumentOutOfRangeException.ThrowIfNegative(weightDecay);
        _parameters = [.. parameters];
        foreach (var p in _parameters)
        {
            if (!p.RequiresGrad || p.Rank < 2)
            {
                throw new ArgumentException($"Muon updates matrices that require gradients; {p} is not one (give it to AdamW)", nameof(parameters));
            }
        }

        _momentum = [.. _parameters.Select(p => new float[p.Length])];
        var largest = _parameters.Length == 0 ? 0 : _parameters.Max(p => p.Length);
        _update = new float[largest];
        _orthogonal = new float[largest];
        _scratch = new float[_parameters.Length == 0 ? 0 : _parameters.Max(p => NewtonSchulz.ScratchLength(p.Shape[0], p.Length / p.Shape[0]))];
        (Momentum, Nesterov, Steps, WeightDecay) = (momentum, nesterov, steps, weightDecay);
    }

    /// <summary>Momentum mu.</summary>
    public float Momentum { get; }

    /// <summary>Whether the update looks ahead along the momentum (Nesterov).</summary>
    public bool Nesterov { get; }

    /// <summary>Newton-Schulz iterations per step.</summary>
    public int Steps { get; }

    /// <summary>Decoupled weight decay per unit learning rate.</summary>
    public float WeightDecay { get; }

    /// <summary>Number of steps taken.</summary>
    public int StepCount { get; private set; }

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>Sets every parameter gradient to zero.</summary>
    public void ZeroGrad() => Gradients.Zero(_parameters);

    /// <summary>Takes one step with learning rate <paramref name="lr"/> (the speedrun's is 0.02 to 0.05).</summary>
    public void Step(float lr)
    {
        var t0 = Profiler.Begin();
        StepCount++;
        var mu = Momentum;
        for (var i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            var (rows, cols) = (p.Shape[0], p.Length / p.Shape[0]);
            var g = p.Grad.AsSpan();
            var m = _momentum[i].AsSpan();
            var u = _update.AsSpan(0, p.Length);
            var o = _orthogonal.AsSpan(0, p.Length);
            TensorPrimitives.Multiply(m, mu, m);
            TensorPrimitives.MultiplyAdd(g, 1 - mu, m, m);
            if (Nesterov)
            {
                TensorPrimitives.Multiply(m, mu, u);
                TensorPrimitives.MultiplyAdd(g, 1 - mu, u, u);
            }
            else
            {
                m.CopyTo(u);
            }

            NewtonSchulz.Orthogonalize(u, o, rows, cols, Steps, _scratch);
            if (WeightDecay > 0)
            {
                TensorPrimitives.Multiply(p.Data, 1 - (lr * WeightDecay), p.Data);
            }

            TensorPrimitives.MultiplyAdd(o, -lr * MathF.Sqrt(Math.Max(1f, (float)rows / cols)), p.Data, p.Data);
        }

        Profiler.EndBackward(Op.OptimizerStep, t0);
    }
}
