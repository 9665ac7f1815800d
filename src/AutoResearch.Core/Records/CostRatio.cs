using System.Globalization;

namespace AutoResearch.Core.Records;

/// <summary>An experiment's cost against its parent's: the kept experiment (or baseline) its change started from.</summary>
public static class CostRatio
{
    /// <summary>The experiment whose candidate commit <paramref name="experiment"/> started from, among <paramref name="experiments"/>.</summary>
    public static ExperimentRecord? Parent(ExperimentRecord experiment, IEnumerable<ExperimentRecord> experiments)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(experiments);
        return experiment.IsBaseline
            ? null
            : experiments.Where(e => e.Id != experiment.Id && e.Status == ExperimentStatus.Keep && (e.CandidateCommit ?? e.ParentCommit) == experiment.ParentCommit)
                .MaxBy(e => e.Seq);
    }

    /// <summary>
    /// The candidate's cost over its parent's on <paramref name="measure"/>; null when either is unmeasured, or when the
    /// candidate's runs were cut short (stopped early, timed out, crashed), which would make it look cheap.
    /// </summary>
    public static double? Of(ExperimentRecord experiment, ExperimentRecord? parent, CostMeasure measure)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (experiment.Status is ExperimentStatus.Stopped or ExperimentStatus.Timeout or ExperimentStatus.Crash or ExperimentStatus.Rejected)
        {
            return null;
        }

        return experiment.Cost?.Of(measure) is { } mine && parent?.Cost?.Of(measure) is { } theirs && theirs > 0 && double.IsFinite(mine)
            ? mine / theirs
            : null;
    }

    /// <summary>The cost ratio of <paramref name="experiment"/> among its run's <paramref name="experiments"/>, in words (<c>1.7x time</c>), or null.</summary>
    public static string? Describe(ExperimentRecord experiment, IEnumerable<ExperimentRecord> experiments, CostMeasure measure) =>
        Of(experiment, Parent(experiment, experiments), measure) is { } ratio ? Describe(ratio, measure) : null;

    /// <summary>A ratio in words: <c>1.7x time</c>, <c>0.52x params</c>.</summary>
    public static string Describe(double ratio, CostMeasure measure) =>
        ratio.ToString(ratio >= 10 ? "0" : "0.0#", CultureInfo.InvariantCulture) + "x " + Name(measure);

    /// <summary>The measure's name as <c>[cost] measure</c> spells it.</summary>
    public static string Name(CostMeasure measure) => measure.ToString().ToLowerInvariant();
}
