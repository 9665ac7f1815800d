namespace AutoResearch.Core.Spec;

/// <summary>
/// The <c>[early_stop]</c> section: stop a candidate whose learning curve is clearly worse than the best's at the same
/// fraction of the budget. From <see cref="MinFraction"/> on, a run is stopped when its loss exceeds the best's (interpolated
/// at the same progress) by more than max(<see cref="MinDelta"/>, <see cref="Z"/>·σ), σ being the noise of the curve
/// measured between repeated baseline runs (or of the metric when no repeated curves exist). Without a measured σ and
/// with <c>min_delta = 0</c> nothing is ever stopped: there is no evidence to stop on.
/// </summary>
public sealed record EarlyStopSpec
{
    /// <summary>The defaults: off; from 30% of the budget, z = 3.</summary>
    public static EarlyStopSpec Default { get; } = new();

    /// <summary><c>enabled</c>: default false.</summary>
    public bool Enabled { get; init; }

    /// <summary><c>min_fraction</c>: the fraction of the budget (0 to 1, exclusive) before which no run is stopped. Default 0.3.</summary>
    public double MinFraction { get; init; } = 0.3;

    /// <summary><c>z</c>: how many σ of curve noise a run must be behind to be stopped. Default 3 (stricter than keeping:
    /// the rule is tested at every progress line, so it needs more evidence per look).</summary>
    public double Z { get; init; } = 3;

    /// <summary><c>min_delta</c>: the least loss gap that stops a run, whatever the noise. Default 0.</summary>
    public double MinDelta { get; init; }

    /// <summary><c>min_points</c>: how many progress lines in a row (from <see cref="MinFraction"/> on) must be behind. Default 2.</summary>
    public int MinPoints { get; init; } = 2;
}
