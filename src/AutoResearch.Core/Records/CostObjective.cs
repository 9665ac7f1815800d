using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Records;

/// <summary>
/// The search's cost-normalised objective (<c>[cost] search_weight</c>): an experiment's loss is its metric (signed so
/// that lower is better) plus <c>weight · ln(cost / baseline's cost)</c> on <c>[cost] measure</c>. With weight 0.01, a
/// change that doubles the cost must gain 0.0069 of the metric to look as good as one that does not.
/// </summary>
public static class CostObjective
{
    /// <summary>The penalty to add to <paramref name="experiment"/>'s signed loss; 0 when off or when either cost is unmeasured.</summary>
    /// <param name="spec">The spec (<c>[cost] search_weight</c> and <c>measure</c>).</param>
    /// <param name="experiment">The experiment.</param>
    /// <param name="history">The run's experiments, which hold its baseline.</param>
    public static double Penalty(ResearchSpec spec, ExperimentRecord experiment, IEnumerable<ExperimentRecord> history)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(history);
        if (spec.Cost.SearchWeight <= 0 || experiment.Cost?.Of(spec.Cost.Measure) is not { } cost || cost <= 0 || !double.IsFinite(cost))
        {
            return 0;
        }

        return history.FirstOrDefault(e => e.IsBaseline)?.Cost?.Of(spec.Cost.Measure) is { } baseline && baseline > 0 && double.IsFinite(baseline)
            ? spec.Cost.SearchWeight * Math.Log(cost / baseline)
            : 0;
    }
}
