namespace AutoResearch.Core.Proposers.Search;

/// <summary>The standard normal density, distribution and the logarithm of expected improvement.</summary>
internal static class NormalDistribution
{
    private static readonly double s_logSqrt2Pi = 0.5 * Math.Log(2 * Math.PI);

    public static double Pdf(double z) => Math.Exp((-0.5 * z * z) - s_logSqrt2Pi);

    public static double Cdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    /// <summary>
    /// log E[max(best − f, 0)] for f ~ N(mean, sd²): log sd + log(z Φ(z) + φ(z)) with z = (best − mean) / sd, by its
    /// asymptote φ(z)/z² far in the left tail so that far-from-promising points still rank instead of all being 0.
    /// </summary>
    public static double LogExpectedImprovement(double best, double mean, double sd)
    {
        var z = (best - mean) / sd;
        if (z > -6)
        {
            return Math.Log(sd) + Math.Log(Math.Max((z * Cdf(z)) + Pdf(z), 1e-300));
        }

        return Math.Log(sd) - (0.5 * z * z) - s_logSqrt2Pi - (2 * Math.Log(-z));
    }

    /// <summary>The complementary error function (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7).</summary>
    public static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + (0.5 * z));
        ReadOnlySpan<double> c = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
        var poly = 0.0;
        for (var i = c.Length - 1; i >= 1; i--)
        {
            poly = (poly + c[i]) * t;
        }

        var r = t * Math.Exp(-(z * z) + c[0] + poly);
        return x >= 0 ? r : 2 - r;
    }
}
