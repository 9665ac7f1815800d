namespace AutoResearch.Nn;

/// <summary>Operations over the gradients of a set of parameters.</summary>
public static class Gradients
{
    /// <summary>Sets the gradients of <paramref name="parameters"/> to zero (profiled as <see cref="Op.ZeroGrad"/>); allocates nothing.</summary>
    public static void Zero(Tensor[] parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var t0 = Profiler.Begin();
        foreach (var p in parameters)
        {
            Array.Clear(p.Grad);
        }

        Profiler.EndBackward(Op.ZeroGrad, t0);
    }

    /// <summary>The global L2 norm of all gradients, summed in double in parameter order.</summary>
    public static double Norm(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters as IReadOnlyList<Tensor> ?? [.. parameters];
        double sum = 0;
        for (var i = 0; i < list.Count; i++) // by index: no boxed enumerator in the training step
        {
            sum += System.Numerics.Tensors.TensorPrimitives.SumOfSquares(list[i].Grad);
        }

        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Scales all gradients so that their global L2 norm is at most <paramref name="maxNorm"/>, as PyTorch's
    /// <c>clip_grad_norm_</c>; returns the norm before clipping.
    /// </summary>
    public static double ClipNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNorm);
        var t0 = Profiler.Begin();
        var list = parameters as IReadOnlyList<Tensor> ?? [.. parameters];
        var norm = Norm(list);
        if (norm > maxNorm)
        {
            var scale = (float)(maxNorm / (norm + 1e-6));
            for (var i = 0; i < list.Count; i++)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(list[i].Grad, scale, list[i].Grad);
            }
        }

        Profiler.EndBackward(Op.GradientClip, t0);
        return norm;
    }
}
