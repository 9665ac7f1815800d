using AutoResearch.Core.Running;

namespace AutoResearch.Core.Acceptance;

/// <summary>
/// Robust estimates of run-to-run noise from repeated runs of the same code. Within each group (one code, several seeds)
/// every pair of runs gives an absolute difference; for Gaussian noise of σ, |x - y| has median 0.6745·√2·σ, so
/// σ = 1.0484 · median(|x - y|) over the pooled pairs. A median, not a standard deviation: one wild run (a crash-like
/// outlier, a slow disk) cannot inflate σ and make every later change look like noise.
/// </summary>
public static class Noise
{
    /// <summary>1 / (√2 · Φ⁻¹(3/4)): turns the median absolute pairwise difference into σ.</summary>
    public const double PairToSigma = 1.0483741803595957;

    /// <summary>σ from groups of repeated values; null when no group has two values.</summary>
    public static double? Sigma(IEnumerable<IReadOnlyList<double>> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var differences = new List<double>();
        foreach (var group in groups)
        {
            for (var i = 0; i < group.Count; i++)
            {
                for (var j = i + 1; j < group.Count; j++)
                {
                    differences.Add(Math.Abs(group[i] - group[j]));
                }
            }
        }

        return differences.Count == 0 ? null : PairToSigma * Median(differences);
    }

    /// <summary>
    /// σ of the learning curve from groups of repeated curves: pairs compared at the first curve's progress points from
    /// <paramref name="minProgress"/> percent on (the second interpolated there). Null when no group has two curves that overlap.
    /// </summary>
    public static double? CurveSigma(IEnumerable<IReadOnlyList<IReadOnlyList<CurvePoint>>> groups, double minProgress)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var differences = new List<double>();
        foreach (var group in groups)
        {
            for (var i = 0; i < group.Count; i++)
            {
                for (var j = i + 1; j < group.Count; j++)
                {
                    foreach (var point in group[i].Where(p => p.Progress >= minProgress))
                    {
                        if (Interpolate(group[j], point.Progress) is { } other)
                        {
                            differences.Add(Math.Abs(point.Value - other));
                        }
                    }
                }
            }
        }

        return differences.Count == 0 ? null : PairToSigma * Median(differences);
    }

    /// <summary>The curve's value at <paramref name="progress"/> by linear interpolation; null outside its range.</summary>
    public static double? Interpolate(IReadOnlyList<CurvePoint> curve, double progress)
    {
        ArgumentNullException.ThrowIfNull(curve);
        CurvePoint? before = null;
        foreach (var point in curve)
        {
            if (!double.IsFinite(point.Value))
            {
                continue;
            }

            if (point.Progress == progress)
            {
                return point.Value;
            }

            if (point.Progress > progress)
            {
                if (before is null)
                {
                    return null;
                }

                var t = (progress - before.Progress) / (point.Progress - before.Progress);
                return before.Value + (t * (point.Value - before.Value));
            }

            before = point;
        }

        return null;
    }

    /// <summary>The pointwise mean of <paramref name="curves"/> at the first curve's progress points (where all overlap).</summary>
    public static IReadOnlyList<CurvePoint> MeanCurve(IReadOnlyList<IReadOnlyList<CurvePoint>> curves)
    {
        ArgumentNullException.ThrowIfNull(curves);
        if (curves.Count == 0)
        {
            return [];
        }

        var mean = new List<CurvePoint>();
        foreach (var point in curves[0])
        {
            var values = curves.Select(c => Interpolate(c, point.Progress)).ToList();
            if (values.All(v => v is not null))
            {
                mean.Add(new CurvePoint(point.Progress, values.Average(v => v!.Value)));
            }
        }

        return mean;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        var n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[(n / 2) - 1] + values[n / 2]) / 2;
    }
}
