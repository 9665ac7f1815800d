using AutoResearch.Nn.Kernels;

namespace AutoResearch.Nn;

public sealed partial class Graph
{
    /// <summary>Layer normalisation over the last dimension: <c>(x - mean) / sqrt(var + eps) * weight + bias</c>; bias is optional.</summary>
    public Tensor LayerNorm(Tensor x, Tensor weight, Tensor? bias = null, float eps = 1e-5f)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        var t0 = Begin();
        var needs = NeedsGrad(x, weight) || (bias is not null && NeedsGrad(bias));
        var y = NewTensor(x.Shape, needs);
        var mean = NewTensor([x.Rows], false);
        var rstd = NewTensor([x.Rows], false);
        Norms.LayerNormForward(y.Data, mean.Data, rstd.Data, x.Data, weight.Data, bias is null ? default : bias.Data, x.Columns, eps);
        if (needs)
        {
            Record(new Node { Op = Op.LayerNorm, Out = y, A = x, B = weight, C = bias, Saved0 = mean, Saved1 = rstd });
        }

        End(Op.LayerNorm, t0);
        return y;
    }

    /// <summary>RMS normalisation over the last dimension: <c>x / sqrt(mean(x^2) + eps) * weight</c>; weight is optional.</summary>
    public Tensor RmsNorm(Tensor x, Tensor? weight = null, float eps = 1e-6f)
    {
        ArgumentNullException.ThrowIfNull(x);
        var t0 = Begin();
        var needs = NeedsGrad(x, weight);
        var y = NewTensor(x.Shape, needs);
        var rstd = NewTensor([x.Rows], false);
        Norms.RmsNormForward(y.Data, rstd.Data, x.Data, weight is null ? default : weight.Data, x.Columns, eps);
        if (needs)
        {
            Record(new Node { Op = Op.RmsNorm, Out = y, A = x, B = weight, Saved1 = rstd });
        }

        End(Op.RmsNorm, t0);
        return y;
    }

    private void NormBackward(ref Node node)
    {
        var (y, x, w) = (node.Out, node.A!, node.B);
        var c = x.Columns;
        if (node.Op == Op.LayerNorm)
        {
            Norms.LayerNormBackward(x.GradBuffer ?? default(Span<float>), w!.GradBuffer ?? default(Span<float>), node.C?.GradBuffer ?? default(Span<float>),
                y.GradBuffer, x.Data, w.Data, node.Saved0!.Data, node.Saved1!.Data, c, overwriteDx: TakeFresh(x.GradBuffer));
        }
        else
        {
            Norms.RmsNormBackward(x.GradBuffer ?? default(Span<float>), w?.GradBuffer ?? default(Span<float>), y.GradBuffer,
                x.Data, w is null ? default : w.Data, node.Saved1!.Data, c);
        }
    }
}
