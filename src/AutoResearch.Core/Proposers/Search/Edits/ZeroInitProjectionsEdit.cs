using System.Text;
using System.Text.RegularExpressions;

namespace AutoResearch.Core.Proposers.Search.Edits;

/// <summary>
/// <c>zero-init-proj</c>: the residual projections (attention's output and the MLP's second matrix) start at zero, so
/// each block starts as the identity (the nanoGPT speedrun's initialisation). C#: <c>Tensor.Normal(shape, projStd, ...)</c>,
/// where the standard deviation's name says <c>proj</c>, becomes <c>Tensor.Zeros(shape, requiresGrad: true)</c>.
/// Python: a <c>torch.nn.init.normal_(p, ...)</c> whose scale uses the depth (<c>n_layer</c>, GPT-2's scaled init of
/// the projections) becomes <c>torch.nn.init.zeros_(p)</c>.
/// </summary>
public sealed partial class ZeroInitProjectionsEdit : CodeEdit
{
    public override string Name => "zero-init-proj";

    public override string Description => "zero-initialise the residual projections";

    protected override EditOutcome ApplyCSharp(string text)
    {
        var edited = new StringBuilder(text);
        var count = 0;
        foreach (var call in SourceText.Calls(text, "Tensor.Normal"))
        {
            var arguments = SourceText.Arguments(call.Inner(text));
            if (arguments.Count >= 2 && arguments[1].Contains("proj", StringComparison.OrdinalIgnoreCase))
            {
                edited.Remove(call.Start, call.End - call.Start).Insert(call.Start, $"Tensor.Zeros({arguments[0]}, requiresGrad: true) /* {Marker} */");
                count++;
            }
        }

        return count == 0 ? EditOutcome.Skip("no Tensor.Normal( whose standard deviation is named for the projections") : EditOutcome.Edited(edited.ToString());
    }

    protected override EditOutcome ApplyPython(string text)
    {
        var edited = new StringBuilder(text);
        var count = 0;
        foreach (var call in SourceText.Calls(text, "init.normal_"))
        {
            var arguments = SourceText.Arguments(call.Inner(text));
            if (arguments.Count >= 1 && DepthScaled().IsMatch(call.Inner(text)))
            {
                edited.Remove(call.Start, call.End - call.Start).Insert(call.Start, $"init.zeros_({arguments[0]})");
                var end = SourceText.LineEnd(edited.ToString(), call.Start);
                edited.Insert(end, $"  # {Marker}");
                count++;
            }
        }

        return count == 0 ? EditOutcome.Skip("no init.normal_( scaled by the depth (n_layer)") : EditOutcome.Edited(edited.ToString());
    }

    [GeneratedRegex(@"n_layers?\b")]
    private static partial Regex DepthScaled();
}
