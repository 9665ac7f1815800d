using System.Globalization;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Acceptance;

/// <summary>
/// Watches one run's learning curve against the best's and says when to stop it: from <c>min_fraction</c> of the budget
/// on, when its loss (lower is better) exceeds the best's, interpolated at the same progress, by more than
/// max(min_delta, z·σ) at <c>min_points</c> progress lines in a row. Not thread-safe: one instance per run.
/// </summary>
public sealed class EarlyStopRule
{
    private readonly EarlyStopSpec _spec;
    private readonly IReadOnlyList<CurvePoint> _incumbent;
    private int _behind;

    /// <param name="spec">The <c>[early_stop]</c> settings.</param>
    /// <param name="incumbent">The best's curve (the mean of its runs' curves).</param>
    /// <param name="sigma">The curve noise σ (0 when unknown).</param>
    public EarlyStopRule(EarlyStopSpec spec, IReadOnlyList<CurvePoint> incumbent, double sigma)
    {
        _spec = spec ?? throw new ArgumentNullException(nameof(spec));
        _incumbent = incumbent ?? throw new ArgumentNullException(nameof(incumbent));
        Margin = Math.Max(spec.MinDelta, spec.Z * sigma);
    }

    /// <summary>How far behind the best a run must be to be stopped, in loss units.</summary>
    public double Margin { get; }

    /// <summary>Why the run was stopped, once <see cref="Observe"/> has returned true.</summary>
    public string? Reason { get; private set; }

    /// <summary>Takes the run's next progress point; true when the run should be stopped now.</summary>
    public bool Observe(CurvePoint point)
    {
        ArgumentNullException.ThrowIfNull(point);
        if (Margin <= 0 || point.Progress < _spec.MinFraction * 100)
        {
            // No measured noise and no min_delta, or too early: no evidence to stop on.
            return false;
        }

        double? best = null;
        if (double.IsFinite(point.Value))
        {
            best = Noise.Interpolate(_incumbent, point.Progress);
            if (best is null)
            {
                // Beyond the best's curve: nothing to compare with.
                return false;
            }
        }

        // A diverged loss (NaN, infinity) is behind whatever the best did.
        var behind = best is not { } b || point.Value - b > Margin;
        _behind = behind ? _behind + 1 : 0;
        return _behind >= _spec.MinPoints && Stop(point, best);
    }

    private bool Stop(CurvePoint point, double? best)
    {
        var inv = CultureInfo.InvariantCulture;
        var against = best is { } b ? string.Create(inv, $"vs the best's {b:0.######}") : "(diverged)";
        Reason = string.Create(inv,
            $"stopped at {point.Progress:0.#}% of the budget: loss {point.Value:0.######} {against}, behind by more than {Margin:0.######} for {_behind} progress lines");
        return true;
    }
}
