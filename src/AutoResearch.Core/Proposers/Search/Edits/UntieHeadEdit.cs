using System.Text.RegularExpressions;

namespace AutoResearch.Core.Proposers.Search.Edits;

/// <summary>
/// <c>untie-head</c>: the output head stops sharing the token embedding's weights. Python: the tying line
/// (<c>self.transformer.wte.weight = self.lm_head.weight</c>, either way round) is commented out, so the head keeps the
/// matrix it was built with. In C# an untied head is a new parameter; the tinygpt template offers <c>TIE_EMBEDDINGS</c>.
/// </summary>
public sealed partial class UntieHeadEdit : CodeEdit
{
    public override string Name => "untie-head";

    public override string Description => "untie the output head from the token embedding";

    protected override EditOutcome ApplyPython(string text)
    {
        var tie = Tie().Match(text);
        if (!tie.Success)
        {
            return EditOutcome.Skip("no line tying lm_head.weight and the token embedding's weight");
        }

        return EditOutcome.Edited(text.Insert(tie.Groups["code"].Index, $"pass  # {Marker}: "));
    }

    [GeneratedRegex(@"^[ \t]*(?<code>\S*(wte|embed|tok_emb)\S*\.weight\s*=\s*\S*lm_head\.weight|\S*lm_head\.weight\s*=\s*\S*(wte|embed|tok_emb)\S*\.weight)", RegexOptions.Multiline)]
    private static partial Regex Tie();
}
