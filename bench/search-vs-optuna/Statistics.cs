using AutoResearch.Core.Proposers.Search;

namespace SearchVsOptuna;

/// <summary>Ranks, the paired Wilcoxon signed-rank test (normal approximation, ties handled) and Holm's correction.</summary>
internal static class Statistics
{
    /// <summary>Ranks from 1 (lowest), ties sharing their average rank.</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
            {
                end++;
            }

            var rank = ((start + end) / 2.0) + 1;
            for (var k = start; k <= end; k++)
            {
                ranks[order[k]] = rank;
            }

            start = end + 1;
        }

        return ranks;
    }

    /// <summary>
    /// Two-sided Wilcoxon signed-rank test of the pairs (a, b): zero differences dropped, tied |differences| share
    /// ranks and shrink the variance, continuity-corrected normal approximation. Returns W+ − n(n+1)/4's sign as the
    /// direction (negative: a tends to be lower) and the p-value.
    /// </summary>
    public static (double Z, double P) Wilcoxon(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var differences = a.Zip(b, (x, y) => x - y).Where(d => d != 0 && double.IsFinite(d)).ToArray();
        var n = differences.Length;
        if (n == 0)
        {
            return (0, 1);
        }

        var ranks = Ranks(differences.Select(Math.Abs).ToArray());
        var wPlus = 0.0;
        for (var i = 0; i < n; i++)
        {
            if (differences[i] > 0)
            {
                wPlus += ranks[i];
            }
        }

        var mean = n * (n + 1) / 4.0;
        var variance = n * (n + 1) * ((2 * n) + 1) / 24.0;
        foreach (var group in ranks.GroupBy(r => r))
        {
            var t = group.Count();
            variance -= ((t * t * t) - t) / 48.0;
        }

        if (variance <= 0)
        {
            return (0, 1);
        }

        var deviation = wPlus - mean;
        var corrected = Math.Max(Math.Abs(deviation) - 0.5, 0);
        var z = Math.Sign(deviation) * corrected / Math.Sqrt(variance);
        var p = 2 * NormalUpperTail(Math.Abs(z));
        return (z, Math.Min(1, p));
    }

    /// <summary>Holm's step-down adjustment of a family of p-values (same order as given).</summary>
    public static double[] Holm(IReadOnlyList<double> p)
    {
        var m = p.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => p[i]).ToArray();
        var adjusted = new double[m];
        var running = 0.0;
        for (var k = 0; k < m; k++)
        {
            running = Math.Max(running, Math.Min(1, (m - k) * p[order[k]]));
            adjusted[order[k]] = running;
        }

        return adjusted;
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static double NormalUpperTail(double z) => 0.5 * NormalDistribution.Erfc(z / Math.Sqrt(2));
}
