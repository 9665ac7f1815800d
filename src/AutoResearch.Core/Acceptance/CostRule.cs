using System.Globalization;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Acceptance;

/// <summary><c>[acceptance] max_cost_ratio</c>: a win that costs more than that many times its parent's is not kept.</summary>
public static class CostRule
{
    /// <summary>
    /// <paramref name="verdict"/>, or a discard that says why when it would keep (or confirm) a candidate whose cost ratio
    /// exceeds <see cref="AcceptanceSpec.MaxCostRatio"/>. Unchanged when the limit is off or either cost is unmeasured.
    /// </summary>
    public static Verdict Apply(Verdict verdict, ResearchSpec spec, ExperimentRecord candidate, ExperimentRecord? parent)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(candidate);
        if (verdict.Outcome == VerdictOutcome.Discard || spec.Acceptance.MaxCostRatio is not { } limit
            || CostRatio.Of(candidate, parent, spec.Cost.Measure) is not { } ratio || ratio <= limit)
        {
            return verdict;
        }

        return verdict with
        {
            Outcome = VerdictOutcome.Discard,
            Reason = string.Create(CultureInfo.InvariantCulture,
                $"{verdict.Reason}; but it costs {CostRatio.Describe(ratio, spec.Cost.Measure)} of its parent's, over [acceptance] max_cost_ratio {limit:0.##}: discarded"),
        };
    }
}
