using System.Text.RegularExpressions;

namespace AutoResearch.Core.Proposers.Search.Edits;

/// <summary>
/// <c>softcap</c>: logits squashed smoothly into (-30, 30) by <c>30 tanh(logits / 30)</c> (Gemma 2, the nanoGPT
/// speedrun). Python: after every <c>logits = self.lm_head(...)</c> line. C#: the last <c>return g.Linear(...);</c> of
/// the file (the output head) returns <c>g.Softcap(g.Linear(...), 30f)</c>, or a <c>var logits = g.Linear(...);</c>
/// line is followed by the cap.
/// </summary>
public sealed partial class LogitSoftcapEdit : CodeEdit
{
    public override string Name => "softcap";

    public override string Description => "soft-cap the logits at 30";

    protected override EditOutcome ApplyCSharp(string text)
    {
        if (text.Contains(".Softcap(", StringComparison.Ordinal))
        {
            return EditOutcome.Skip("the logits are soft-capped already (.Softcap( is called)");
        }

        var newline = SourceText.Newline(text);
        if (CSharpLogits().Matches(text).LastOrDefault() is { } line)
        {
            var end = SourceText.LineEnd(text, line.Index);
            var name = line.Groups["name"].Value;
            return EditOutcome.Edited(text.Insert(end, $"{newline}{line.Groups["indent"].Value}{name} = {line.Groups["graph"].Value}.Softcap({name}, 30f); // {Marker}"));
        }

        if (CSharpReturn().Matches(text).LastOrDefault() is { } ret
            && SourceText.Calls(text, $"{ret.Groups["graph"].Value}.Linear").FirstOrDefault(c => c.Start == ret.Groups["call"].Index) is { Open: > 0 } call)
        {
            var head = text[call.Start..call.End];
            return EditOutcome.Edited(text.Remove(call.Start, call.End - call.Start)
                .Insert(call.Start, $"{ret.Groups["graph"].Value}.Softcap({head}, 30f) /* {Marker} */"));
        }

        return EditOutcome.Skip("no `var logits = g.Linear(...)` line and no `return g.Linear(...)`");
    }

    protected override EditOutcome ApplyPython(string text)
    {
        var lines = PythonLogits().Matches(text).ToList();
        if (lines.Count == 0)
        {
            return EditOutcome.Skip("no `logits = self.lm_head(...)` line");
        }

        var newline = SourceText.Newline(text);
        var edited = text;
        foreach (var line in lines.OrderByDescending(m => m.Index))
        {
            var end = SourceText.LineEnd(edited, line.Index);
            edited = edited.Insert(end, $"{newline}{line.Groups["indent"].Value}logits = 30 * torch.tanh(logits / 30)  # {Marker}");
        }

        return EditOutcome.Edited(edited);
    }

    [GeneratedRegex(@"^(?<indent>[ \t]*)logits\s*=\s*self\.lm_head\(.*\)[ \t]*(#.*)?\r?$", RegexOptions.Multiline)]
    private static partial Regex PythonLogits();

    [GeneratedRegex(@"^(?<indent>[ \t]*)var (?<name>logits)\s*=\s*(?<graph>\w+)\.Linear\(.*\);[ \t]*(//.*)?\r?$", RegexOptions.Multiline)]
    private static partial Regex CSharpLogits();

    [GeneratedRegex(@"^[ \t]*return (?<call>(?<graph>\w+)\.Linear)\(", RegexOptions.Multiline)]
    private static partial Regex CSharpReturn();
}
