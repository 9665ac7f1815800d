using System.Text;

namespace AutoResearch.Core.Proposers.Search.Edits;

/// <summary>
/// <c>relu2</c>: GELU becomes ReLU² (max(x, 0)², the activation of the nanoGPT speedrun and Primer). C#: every
/// <c>.Gelu(</c> call of AutoResearch.Nn's graph becomes <c>.ReluSquared(</c>. Python: <c>F.gelu(x)</c> becomes
/// <c>F.relu(x).square()</c> and <c>nn.GELU(...)</c> a small <c>ReLUSquared</c> module inserted after the imports.
/// </summary>
public sealed class ReluSquaredEdit : CodeEdit
{
    public override string Name => "relu2";

    public override string Description => "GELU -> ReLU² in the MLP";

    public override string? SameAsChoice => "relu2";

    protected override EditOutcome ApplyCSharp(string text)
    {
        var calls = SourceText.Calls(text, ".Gelu");
        if (calls.Count == 0)
        {
            return EditOutcome.Skip("no .Gelu( call");
        }

        var edited = new StringBuilder(text);
        foreach (var call in calls)
        {
            edited.Remove(call.Start, ".Gelu".Length).Insert(call.Start, ".ReluSquared");
            edited.Insert(call.End + ".ReluSquared".Length - ".Gelu".Length, $" /* {Marker} */");
        }

        return EditOutcome.Edited(edited.ToString());
    }

    protected override EditOutcome ApplyPython(string text)
    {
        var functional = SourceText.Calls(text, "F.gelu");
        var modules = SourceText.Calls(text, "nn.GELU");
        if (functional.Count == 0 && modules.Count == 0)
        {
            return EditOutcome.Skip("no F.gelu( or nn.GELU( call");
        }

        var edited = new StringBuilder(text);
        foreach (var call in functional.Concat(modules).OrderByDescending(c => c.Start))
        {
            var replacement = text[call.Start] == 'F'
                ? $"F.relu({SourceText.Arguments(call.Inner(text)).FirstOrDefault()}).square()"
                : "ReLUSquared()";
            edited.Remove(call.Start, call.End - call.Start).Insert(call.Start, replacement);
        }

        var result = edited.ToString();
        if (modules.Count > 0)
        {
            result = SourceText.AfterPythonImports(result,
                $"class ReLUSquared(nn.Module):  # {Marker}\n    def forward(self, x):\n        return torch.relu(x).square()");
        }
        else
        {
            result = SourceText.AfterPythonImports(result, $"# {Marker}: F.gelu(x) -> F.relu(x).square()");
        }

        return EditOutcome.Edited(result);
    }
}
