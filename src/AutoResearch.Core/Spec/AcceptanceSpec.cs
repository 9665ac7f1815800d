namespace AutoResearch.Core.Spec;

/// <summary>
/// The <c>[acceptance]</c> section: when a change counts as a real improvement rather than noise.
/// A candidate is kept when it beats the best by more than <see cref="Threshold"/> = max(<see cref="MinDelta"/>, <see cref="Z"/>·σ),
/// where σ is the run-to-run noise measured from repeated runs of the same code.
/// </summary>
public sealed record AcceptanceSpec
{
    /// <summary>The defaults: one baseline run, no minimum improvement, z = 2, confirmation and the simplicity rule on.</summary>
    public static AcceptanceSpec Default { get; } = new();

    /// <summary><c>baseline_repeats</c>: how many times the baseline runs, each with its own seed, to measure σ. Default 1 (σ unknown); 1 to 20.</summary>
    public int BaselineRepeats { get; init; } = 1;

    /// <summary><c>min_delta</c>: the smallest improvement worth keeping, in metric units, whatever the noise. Default 0.</summary>
    public double MinDelta { get; init; }

    /// <summary><c>z</c>: how many σ an improvement must beat. Default 2.</summary>
    public double Z { get; init; } = 2;

    /// <summary>
    /// <c>confirm</c>: re-run a borderline win (between one and two thresholds) with a fresh seed and keep it only if the mean
    /// of its runs still beats the best by the threshold. Default true; false discards borderline wins.
    /// </summary>
    public bool Confirm { get; init; } = true;

    /// <summary>
    /// <c>confirm_runs</c>: how many fresh-seed runs confirm a borderline win. Default 1. With 2 or more, the confirmation runs of
    /// each borderline candidate are also repeats of one code that were not selected for looking good, so σ is re-estimated
    /// from them as they accumulate (the first run is never used: it was chosen for being lucky and would inflate σ).
    /// </summary>
    public int ConfirmRuns { get; init; } = 1;

    /// <summary><c>simplicity</c>: keep a change that ties within the threshold and deletes more lines than it adds. Default true.</summary>
    public bool Simplicity { get; init; } = true;

    /// <summary><c>sigma</c>: a known noise σ to use instead of measuring it (e.g. from earlier runs); null to measure.</summary>
    public double? Sigma { get; init; }

    /// <summary>
    /// <c>max_cost_ratio</c>: a win whose cost (<c>[cost] measure</c>, default wall time per run) is more than this many times
    /// its parent's is not kept, and the decision says why. Default null: off.
    /// </summary>
    public double? MaxCostRatio { get; init; }

    /// <summary>The threshold an improvement must beat for noise <paramref name="sigma"/>: max(<see cref="MinDelta"/>, <see cref="Z"/>·σ).</summary>
    public double Threshold(double sigma) => Math.Max(MinDelta, Z * sigma);
}
