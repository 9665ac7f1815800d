using AutoResearch.Core.Records;
using Tomlyn.Model;

namespace AutoResearch.Core.Spec;

public static partial class SpecLoader
{
    /// <summary>The <c>[cost]</c> section, its problems added to <paramref name="problems"/>.</summary>
    private static CostSpec ParseCost(TomlTable table, List<string> problems)
    {
        var defaults = CostSpec.Default;
        var measure = OptionalChoice(table, "cost", "measure", ["time", "tokens", "iterations", "params", "memory"], problems);
        return new CostSpec
        {
            Measure = measure is null ? defaults.Measure : Enum.Parse<CostMeasure>(measure, ignoreCase: true),
            DriftFactor = OptionalNumber(table, "cost", "drift_factor", v => v > 1, "above 1 (e.g. 2)", problems) ?? defaults.DriftFactor,
            SearchWeight = OptionalNumber(table, "cost", "search_weight", v => v >= 0, "0 or more", problems) ?? defaults.SearchWeight,
            Tokens = OptionalRegex(table, "cost", "tokens", ["value"], problems),
            Iterations = OptionalRegex(table, "cost", "iterations", ["value"], problems),
            Params = OptionalRegex(table, "cost", "params", ["value"], problems),
        };
    }
}
