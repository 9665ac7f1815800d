using System.Globalization;
using System.Text;

namespace AutoResearch.Core.Proposers.Search.Edits;

/// <summary>
/// <c>rmsnorm</c>: LayerNorm becomes RMSNorm (no centring, no bias). C#: <c>.LayerNorm(x, w, b)</c> becomes
/// <c>.RmsNorm(x, w)</c>. Python: <c>F.layer_norm(x, shape, w, b, eps)</c> becomes the same maths written out,
/// <c>x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w</c> (any PyTorch), where x is a plain name; and
/// <c>nn.LayerNorm(...)</c> an <c>RMSNorm</c> module inserted after the imports.
/// </summary>
public sealed class RmsNormEdit : CodeEdit
{
    public override string Name => "rmsnorm";

    public override string Description => "LayerNorm -> RMSNorm";

    public override string? SameAsChoice => "rmsnorm";

    protected override EditOutcome ApplyCSharp(string text)
    {
        var calls = SourceText.Calls(text, ".LayerNorm");
        if (calls.Count == 0)
        {
            return EditOutcome.Skip("no .LayerNorm( call");
        }

        var edited = new StringBuilder(text);
        foreach (var call in calls)
        {
            var arguments = SourceText.Arguments(call.Inner(text));
            if (arguments.Count < 2)
            {
                return EditOutcome.Skip($"a .LayerNorm( call without a gain: {text[call.Start..call.End]}");
            }

            edited.Remove(call.Start, call.End - call.Start).Insert(call.Start, $".RmsNorm({arguments[0]}, {arguments[1]}) /* {Marker} */");
        }

        return EditOutcome.Edited(edited.ToString());
    }

    protected override EditOutcome ApplyPython(string text)
    {
        var functional = SourceText.Calls(text, "F.layer_norm");
        var modules = SourceText.Calls(text, "nn.LayerNorm");
        if (functional.Count == 0 && modules.Count == 0)
        {
            return EditOutcome.Skip("no F.layer_norm( or nn.LayerNorm( call");
        }

        var edited = new StringBuilder(text);
        foreach (var call in functional.Concat(modules).OrderByDescending(c => c.Start))
        {
            string replacement;
            if (text[call.Start] == 'F')
            {
                var a = SourceText.Arguments(call.Inner(text));
                if (a.Count < 2 || !SourceText.IsName(a[0]) || a.Any(x => x.Contains('=', StringComparison.Ordinal)))
                {
                    return EditOutcome.Skip($"an F.layer_norm( call it cannot rewrite safely: {text[call.Start..call.End]}");
                }

                var eps = a.Count > 4 ? a[4] : "1e-5";
                var gain = a.Count > 2 && a[2] != "None" ? $" * {a[2]}" : "";
                replacement = string.Create(CultureInfo.InvariantCulture, $"({a[0]} * torch.rsqrt({a[0]}.pow(2).mean(-1, keepdim=True) + {eps}){gain})");
            }
            else
            {
                replacement = $"RMSNorm({call.Inner(text)})";
            }

            edited.Remove(call.Start, call.End - call.Start).Insert(call.Start, replacement);
        }

        var block = modules.Count > 0
            ? $"class RMSNorm(nn.Module):  # {Marker}\n" +
              "    def __init__(self, shape, eps=1e-5, elementwise_affine=True, **_):\n" +
              "        super().__init__()\n" +
              "        self.eps = eps\n" +
              "        self.weight = nn.Parameter(torch.ones(shape)) if elementwise_affine else None\n\n" +
              "    def forward(self, x):\n" +
              "        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)\n" +
              "        return x if self.weight is None else x * self.weight"
            : $"# {Marker}: F.layer_norm -> RMS normalisation written out";
        return EditOutcome.Edited(SourceText.AfterPythonImports(edited.ToString(), block));
    }
}
