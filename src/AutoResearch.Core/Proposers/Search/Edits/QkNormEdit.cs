using System.Text.RegularExpressions;

namespace AutoResearch.Core.Proposers.Search.Edits;

/// <summary>
/// <c>qk-norm</c>: queries and keys RMS-normalised per head before attention (OLMo 2, the nanoGPT speedrun). Python:
/// after the lines that split q and k into heads (<c>q = q.view(...).transpose(1, 2)</c>), or else before a
/// <c>scaled_dot_product_attention(q, k, ...)</c> call, a line normalises both over their last dimension. C# code on
/// AutoResearch.Nn fuses q, k and v in one tensor; the tinygpt template offers <c>QK_NORM</c> instead.
/// </summary>
public sealed partial class QkNormEdit : CodeEdit
{
    public override string Name => "qk-norm";

    public override string Description => "RMS-normalise queries and keys per head";

    protected override EditOutcome ApplyPython(string text)
    {
        var newline = SourceText.Newline(text);
        var splits = HeadSplit().Matches(text).ToList();
        string q, k;
        int at;
        string indent;
        if (splits.Count >= 2)
        {
            var (first, second) = (splits[0], splits[1]);
            (q, k) = (first.Groups["name"].Value, second.Groups["name"].Value);
            at = SourceText.LineEnd(text, second.Index);
            indent = second.Groups["indent"].Value;
        }
        else
        {
            var call = SourceText.Calls(text, "scaled_dot_product_attention").LastOrDefault();
            if (call == default)
            {
                return EditOutcome.Skip("no q/k split into heads and no scaled_dot_product_attention( call");
            }

            var arguments = SourceText.Arguments(call.Inner(text));
            if (arguments.Count < 2 || !SourceText.IsName(arguments[0]) || !SourceText.IsName(arguments[1]))
            {
                return EditOutcome.Skip("scaled_dot_product_attention( without plain q and k names");
            }

            (q, k) = (arguments[0], arguments[1]);
            at = SourceText.LineStart(text, call.Start) - newline.Length;
            indent = SourceText.Indentation(text, call.Start);
            if (at < 0)
            {
                return EditOutcome.Skip("scaled_dot_product_attention( on the first line");
            }
        }

        static string Norm(string x) => $"{x} * torch.rsqrt({x}.pow(2).mean(-1, keepdim=True) + 1e-6)";
        return EditOutcome.Edited(text.Insert(at, $"{newline}{indent}{q}, {k} = {Norm(q)}, {Norm(k)}  # {Marker}"));
    }

    // `q = q.view(B, T, n_head, C // n_head).transpose(1, 2)` and the same for k: the split into heads.
    [GeneratedRegex(@"^(?<indent>[ \t]*)(?<name>q|k)\s*=\s*\k<name>\.view\(.*\)\.transpose\(1,\s*2\)[ \t]*(#.*)?\r?$", RegexOptions.Multiline)]
    private static partial Regex HeadSplit();
}
