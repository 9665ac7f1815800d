using System.Text.RegularExpressions;

namespace AutoResearch.Core.Proposers.Search.Edits;

/// <summary>
/// <c>embed-no-decay</c>: a parameter group of its own for the embeddings, without weight decay. Python (nanoGPT's
/// <c>configure_optimizers</c>): the list comprehensions that split parameters by rank
/// (<c>[p for n, p in params.items() if p.dim() &gt;= 2]</c> and <c>&lt; 2</c>) move every parameter whose name says
/// <c>wte</c>, <c>wpe</c> or <c>emb</c> into the group without decay. The tinygpt template has
/// <c>EMBED_WEIGHT_DECAY</c> instead.
/// </summary>
public sealed partial class EmbeddingDecayEdit : CodeEdit
{
    public override string Name => "embed-no-decay";

    public override string Description => "no weight decay on the embeddings";

    protected override EditOutcome ApplyPython(string text)
    {
        var decay = Split().Matches(text).FirstOrDefault(m => m.Groups["op"].Value == ">=");
        var keep = Split().Matches(text).FirstOrDefault(m => m.Groups["op"].Value == "<");
        if (decay is null || keep is null)
        {
            return EditOutcome.Skip("no pair of parameter lists split by p.dim() >= 2 and p.dim() < 2");
        }

        var n = decay.Groups["n"].Value;
        var embedding = $"any(e in {n} for e in ('wte', 'wpe', 'emb'))";
        var edits = new[]
        {
            (decay.Groups["cond"].Index + decay.Groups["cond"].Length, $" and not {embedding}"),
            (keep.Groups["cond"].Index + keep.Groups["cond"].Length, $" or {embedding}"),
            (SourceText.LineEnd(text, decay.Index), $"  # {Marker}"),
        };
        var edited = text;
        foreach (var (at, insert) in edits.OrderByDescending(e => e.Item1))
        {
            edited = edited.Insert(at, insert);
        }

        return EditOutcome.Edited(edited);
    }

    // `[p for n, p in param_dict.items() if p.dim() >= 2]`: the condition is captured so that it can be extended.
    [GeneratedRegex(@"\[\s*(?<p>\w+)\s+for\s+(?<n>\w+)\s*,\s*\k<p>\s+in\s+[\w.]+\.items\(\)\s+if\s+(?<cond>\k<p>\.dim\(\)\s*(?<op>>=|<)\s*2)\s*\]")]
    private static partial Regex Split();
}
