namespace AutoResearch.Core.Proposers.Search.Edits;

/// <summary>
/// <c>warmdown</c>: the cosine schedule becomes warm-up, a constant stretch and a linear decay to zero over the last
/// 40% of the budget (the trapezoid of the nanoGPT speedrun). C#: <c>LrSchedule.Cosine(progress, warmup, ...)</c>
/// becomes <c>LrSchedule.WarmupStableDecay(progress, warmup, cooldown: 0.4, finalRatio: 0)</c>.
/// </summary>
public sealed class WarmdownEdit : CodeEdit
{
    public override string Name => "warmdown";

    public override string Description => "cosine -> constant then linear decay over the last 40%";

    protected override EditOutcome ApplyCSharp(string text)
    {
        var calls = SourceText.Calls(text, "LrSchedule.Cosine");
        if (calls.Count == 0)
        {
            return EditOutcome.Skip("no LrSchedule.Cosine( call");
        }

        var edited = text;
        foreach (var call in calls)
        {
            var arguments = SourceText.Arguments(call.Inner(text));
            var warmup = arguments.Count > 1 ? arguments[1] : "0";
            edited = edited.Remove(call.Start, call.End - call.Start)
                .Insert(call.Start, $"LrSchedule.WarmupStableDecay({arguments[0]}, {warmup}, cooldown: 0.4, finalRatio: 0) /* {Marker} */");
        }

        return EditOutcome.Edited(edited);
    }
}
