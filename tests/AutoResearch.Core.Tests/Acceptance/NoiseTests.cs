using AutoResearch.Core.Acceptance;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Tests.Acceptance;

public sealed class NoiseTests
{
    [Fact]
    public void Sigma_from_many_groups_is_close_to_the_true_sigma_and_ignores_an_outlier()
    {
        var random = new Random(7);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var groups = Enumerable.Range(0, 300).Select(g => (IReadOnlyList<double>)[g + (0.5 * Gaussian()), g + (0.5 * Gaussian()), g + (0.5 * Gaussian())]).ToList();
        groups.Add([0, 1000]);

        var sigma = Noise.Sigma(groups);

        Assert.InRange(sigma!.Value, 0.45, 0.55);
        Assert.Null(Noise.Sigma([[1.0], []]));
    }

    [Fact]
    public void Sigma_of_one_group_is_its_sample_standard_deviation_without_the_small_sample_bias()
    {
        var estimate = Noise.Estimate([[1.0, 2.0, 4.0]])!.Value;

        Assert.Equal(2, estimate.Degrees);
        Assert.Equal(Math.Sqrt(7.0 / 3) / Noise.C4(2), estimate.Sigma, 12);
        Assert.Equal(Math.Sqrt(2 / Math.PI), Noise.C4(1), 12);
        Assert.Equal(Math.Sqrt(Math.PI) / 2, Noise.C4(2), 12);
        Assert.Equal(0.9400, Noise.C4(4), 4);
    }

    [Fact]
    public void Interpolation_is_linear_inside_the_curve_and_null_outside()
    {
        IReadOnlyList<CurvePoint> curve = [new(10, 5), new(20, 3), new(40, 2)];

        Assert.Equal(4, Noise.Interpolate(curve, 15));
        Assert.Equal(2.5, Noise.Interpolate(curve, 30));
        Assert.Equal(3, Noise.Interpolate(curve, 20));
        Assert.Null(Noise.Interpolate(curve, 5));
        Assert.Null(Noise.Interpolate(curve, 50));
    }

    [Fact]
    public void Early_stop_needs_evidence_min_fraction_and_consecutive_points()
    {
        IReadOnlyList<CurvePoint> best = [new(10, 5), new(50, 3), new(100, 2)];
        var spec = new EarlyStopSpec { Enabled = true, MinFraction = 0.3, Z = 3, MinPoints = 2 };

        var rule = new EarlyStopRule(spec, best, sigma: 0.1);
        Assert.False(rule.Observe(new(20, 9)));   // far behind but before 30%
        Assert.False(rule.Observe(new(40, 4)));   // behind by 0.5 > 0.3: one line
        Assert.False(rule.Observe(new(50, 3.1))); // within the margin: the count starts again
        Assert.False(rule.Observe(new(60, 4)));
        Assert.True(rule.Observe(new(70, 4)));
        Assert.Contains("stopped at 70%", rule.Reason, StringComparison.Ordinal);

        var noEvidence = new EarlyStopRule(spec, best, sigma: 0);
        Assert.False(noEvidence.Observe(new(60, 100)));
        Assert.False(noEvidence.Observe(new(70, 100)));

        var better = new EarlyStopRule(spec, best, sigma: 0.1);
        Assert.False(better.Observe(new(60, 2)));
        Assert.False(better.Observe(new(70, 2)));
    }
}
