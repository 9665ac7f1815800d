using System.Globalization;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Acceptance;

/// <summary>
/// Decides whether a measured candidate beats the best by more than the noise. With threshold T = max(min_delta, z·σ)
/// and the candidate's improvement Δ (its mean over its runs against the best's mean):
/// <list type="bullet">
/// <item>one run, Δ &gt; 2T: keep (a clear win), unless σ is measured from fewer than <see cref="SettledDegrees"/> degrees of
/// freedom: then it is confirmed like a borderline win;</item>
/// <item>one run, T &lt; Δ ≤ 2T: confirm (run again with a fresh seed, <c>confirm_runs</c> times);</item>
/// <item>after confirmation (1 + <c>confirm_runs</c> runs): keep when the mean of all runs still beats the best by more than T
/// and the fresh runs on their own beat the best (the first run was chosen for looking good; the fresh ones were not);</item>
/// <item>|Δ| ≤ T and the change deletes more lines than it adds: keep as a simplification;</item>
/// <item>otherwise discard.</item>
/// </list>
/// With σ unmeasured (nothing repeated) or measured as exactly 0 (repeats bit-identical: the code ignores its seed), a
/// single run says nothing about the noise, so every apparent win (Δ &gt; T, T being min_delta or 0) is confirmed on a fresh
/// seed like a borderline one, unless <c>confirm = false</c>; a σ set in the spec (<c>[acceptance] sigma</c>) is known,
/// even when 0.
/// </summary>
public static class AcceptanceRule
{
    /// <summary>
    /// The degrees of freedom from which a measured σ is trusted to call a single run a clear win. From three runs of one code
    /// (two degrees) the estimate is below half the true σ about one time in six, and a "clear" win against it is often
    /// noise; from five runs (four degrees) that happens one time in fourteen, and the clear-win margin of 2T covers it.
    /// </summary>
    public const int SettledDegrees = 4;

    /// <summary>Decides on <paramref name="candidate"/> (the values of its runs so far, at least one) against <paramref name="best"/>.</summary>
    /// <param name="spec">The <c>[acceptance]</c> settings.</param>
    /// <param name="objective">Which direction is better.</param>
    /// <param name="sigma">The noise σ (0 when unknown).</param>
    /// <param name="best">The best's value (the mean of its runs).</param>
    /// <param name="candidate">The candidate's values, one per run, at least one.</param>
    /// <param name="netDeletion">True when the candidate's diff removes more lines than it adds.</param>
    /// <param name="sigmaDegrees">The degrees of freedom σ was measured from (0 when nothing was repeated); a fixed or known σ
    /// passes the default, <see cref="int.MaxValue"/>.</param>
    public static Verdict Decide(
        AcceptanceSpec spec, ObjectiveSpec objective, double sigma, double best, IReadOnlyList<double> candidate, bool netDeletion,
        int sigmaDegrees = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentOutOfRangeException.ThrowIfZero(candidate.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(sigma);

        var threshold = spec.Threshold(sigma);
        var mean = candidate.Average();
        var margin = objective.Improvement(mean, best);
        var inv = CultureInfo.InvariantCulture;
        var against = string.Create(inv, $"{Show(margin)} vs threshold {threshold:0.000000}");
        // σ 0 that was not given: either nothing was repeated, or the repeats were identical; neither measured the noise.
        var unmeasured = sigma == 0 && sigmaDegrees < int.MaxValue;
        if (candidate.Count == 1)
        {
            if (margin > threshold && unmeasured)
            {
                var why = sigmaDegrees == 0 ? "noise σ unknown (no repeated runs)" : "noise σ 0 (repeated runs were identical)";
                return spec.Confirm
                    ? new Verdict(VerdictOutcome.Confirm, margin, threshold, $"apparent win ({against}) with {why}: confirming with a fresh seed")
                    : new Verdict(VerdictOutcome.Keep, margin, threshold, $"win ({against}) with {why}, not confirmed: [acceptance] confirm = false");
            }

            if (margin > 2 * threshold && (sigmaDegrees >= SettledDegrees || !spec.Confirm))
            {
                return new Verdict(VerdictOutcome.Keep, margin, threshold, $"clear win: {against}");
            }

            if (margin > 2 * threshold)
            {
                return new Verdict(VerdictOutcome.Confirm, margin, threshold,
                    string.Create(inv, $"win ({against}) against a σ from {sigmaDegrees} degrees of freedom: confirming with a fresh seed"));
            }

            if (margin > threshold)
            {
                return spec.Confirm
                    ? new Verdict(VerdictOutcome.Confirm, margin, threshold, $"borderline win ({against}): confirming with a fresh seed")
                    : new Verdict(VerdictOutcome.Discard, margin, threshold, $"borderline win ({against}), [acceptance] confirm = false");
            }
        }
        else if (candidate.Count < 1 + spec.ConfirmRuns)
        {
            return new Verdict(VerdictOutcome.Confirm, margin, threshold,
                string.Create(inv, $"confirming: {candidate.Count} of {1 + spec.ConfirmRuns} runs so far, mean {against}"));
        }
        else if (margin > threshold && objective.Improvement(candidate.Skip(1).Average(), best) > 0)
        {
            return new Verdict(VerdictOutcome.Keep, margin, threshold, string.Create(inv, $"confirmed: mean of {candidate.Count} runs {against}"));
        }

        if (spec.Simplicity && netDeletion && Math.Abs(margin) <= threshold)
        {
            return new Verdict(VerdictOutcome.Keep, margin, threshold, $"simplification: equal within noise ({against}) and deletes code");
        }

        var what = candidate.Count > 1 && margin > threshold ? string.Create(inv, $"not confirmed: the fresh runs alone do not beat the best; mean of {candidate.Count} runs")
            : candidate.Count > 1 ? string.Create(inv, $"not confirmed: mean of {candidate.Count} runs")
            : threshold > 0 ? "not better beyond noise" : "not better";
        return new Verdict(VerdictOutcome.Discard, margin, threshold, $"{what}: {against}");
    }

    /// <summary>True when <paramref name="patch"/> (a unified diff) removes more lines than it adds.</summary>
    public static bool IsNetDeletion(string? patch)
    {
        if (string.IsNullOrEmpty(patch))
        {
            return false;
        }

        int added = 0, removed = 0;
        foreach (var line in patch.Split('\n'))
        {
            if (line.StartsWith("+++", StringComparison.Ordinal) || line.StartsWith("---", StringComparison.Ordinal))
            {
                continue;
            }

            if (line.StartsWith('+'))
            {
                added++;
            }
            else if (line.StartsWith('-'))
            {
                removed++;
            }
        }

        return removed > added;
    }

    private static string Show(double value) => value.ToString("+0.000000;-0.000000;0", CultureInfo.InvariantCulture);
}
