using AutoResearch.Core.Running;

namespace AutoResearch.Core.Acceptance;

/// <summary>
/// Estimates of run-to-run noise from repeated runs of the same code. σ is the pooled standard deviation: within each group
/// (one code, several seeds) every pair of runs gives a difference d, and s² is the mean of d²/2 over the pairs (for one group
/// exactly its sample variance); σ = s / c4 removes the bias of a standard deviation from few runs. Wild pairs are dropped first: a pair whose |d| exceeds <see cref="OutlierPairs"/> times the
/// robust scale (the median |d|, which for Gaussian noise of σ is 0.6745·√2·σ) comes from a crash-like outlier or a slow disk
/// and would make every later change look like noise. The median alone is not used as the estimate: with the few repeats a
/// research run has (three baseline runs give three pairs), it wastes most of the information, and a noisy σ costs real
/// improvements (bench/acceptance measures it).
/// </summary>
public static class Noise
{
    /// <summary>1 / (√2 · Φ⁻¹(3/4)): turns the median absolute pairwise difference into σ.</summary>
    public const double PairToSigma = 1.0483741803595957;

    /// <summary>
    /// A pair is an outlier when its |d| is more than this many times the median |d|, that is four standard deviations of a
    /// difference (Gaussian noise gets there about once in 16,000 pairs). In one group of three the largest |d| is at most
    /// twice the median, so a lone group is never trimmed.
    /// </summary>
    public const double OutlierPairs = 4 / 0.6744897501960817;

    /// <summary>σ from groups of repeated values (pooled, wild pairs dropped); null when no group has two values.</summary>
    public static double? Sigma(IEnumerable<IReadOnlyList<double>> groups) => Estimate(groups)?.Sigma;

    /// <summary>σ and its degrees of freedom from groups of repeated values; null when no group has two values.</summary>
    public static NoiseEstimate? Estimate(IEnumerable<IReadOnlyList<double>> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var differences = new List<double>();
        var degrees = 0;
        foreach (var group in groups)
        {
            for (var i = 0; i < group.Count; i++)
            {
                for (var j = i + 1; j < group.Count; j++)
                {
                    differences.Add(Math.Abs(group[i] - group[j]));
                }
            }

            degrees += Math.Max(0, group.Count - 1);
        }

        if (differences.Count == 0)
        {
            return null;
        }

        var cutoff = OutlierPairs * Median(differences);
        double sum = 0;
        var count = 0;
        foreach (var d in differences.Where(d => d <= cutoff))
        {
            sum += d * d / 2;
            count++;
        }

        return new NoiseEstimate(Math.Sqrt(sum / count) / C4(degrees), degrees);
    }

    /// <summary>
    /// E[s]/σ for a standard deviation s with <paramref name="degrees"/> degrees of freedom (c4 of n = degrees + 1): a
    /// sample standard deviation underestimates σ on average, by 11% with two degrees of freedom.
    /// </summary>
    public static double C4(int degrees)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(degrees, 1);

        // c4 = √(2/ν) · Γ((ν+1)/2) / Γ(ν/2), the ratio by recurrence from ν = 1 (1/√π) and ν = 2 (√π/2).
        var ratio = degrees % 2 == 1 ? 1 / Math.Sqrt(Math.PI) : Math.Sqrt(Math.PI) / 2;
        for (var nu = degrees % 2 == 1 ? 1 : 2; nu < degrees; nu += 2)
        {
            ratio *= (nu + 1) / (double)nu;
        }

        return Math.Sqrt(2.0 / degrees) * ratio;
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
