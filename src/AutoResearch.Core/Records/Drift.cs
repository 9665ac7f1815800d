using System.Globalization;

namespace AutoResearch.Core.Records;

/// <summary>
/// Whether a run's conditions are comparable with the baseline's: the machine's load and the run's throughput (tokens/s)
/// within <c>[cost] drift_factor</c> of the baseline's, and the load under that factor times the cores. Under a wall-clock budget a busy machine trains less, so a result
/// from a busy machine is not the same experiment as one from a quiet one.
/// </summary>
public static class Drift
{
    /// <summary>
    /// Loads below this count as this (one busy core): the load average lags, so a short quiet baseline reads near 0 and any
    /// later run would look many times busier.
    /// </summary>
    public const double LoadFloor = 1.0;

    /// <summary>The warnings for one run against the baseline (none when the baseline is unmeasured).</summary>
    /// <param name="baseline">The run's baseline as recorded so far (its first run at least), or null.</param>
    /// <param name="cost">The run's cost.</param>
    /// <param name="conditions">The run's conditions.</param>
    /// <param name="factor">The allowed factor either way (<c>[cost] drift_factor</c>).</param>
    public static IReadOnlyList<string> Warnings(ExperimentRecord? baseline, ExperimentCost? cost, RunConditions? conditions, double factor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(factor, 1);
        var warnings = new List<string>();
        if (conditions is { Load: { } busy, Cores: > 0 } && busy > conditions.Cores * factor)
        {
            // The run itself adds about its threads to the load; this much more is other work competing for the cores.
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"machine load {busy:0.0#} on {conditions.Cores} cores (over [cost] drift_factor {factor:0.##} x the cores)") +
                ": other work is taking the cores, so a wall-clock budget trains less than on a quiet machine; quiet the machine, or use a token budget");
        }

        if (baseline is null)
        {
            return warnings;
        }

        if (baseline.Conditions?.Load is { } before && conditions?.Load is { } now)
        {
            var ratio = Math.Max(now, LoadFloor) / Math.Max(before, LoadFloor);
            if (ratio > factor || ratio < 1 / factor)
            {
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"machine load {now:0.0#} against the baseline's {before:0.0#} ({ratio:0.0#}x, beyond [cost] drift_factor {factor:0.##})") +
                    ": a wall-clock budget trains a different amount on a busier or quieter machine, so this result is not comparable; " +
                    "quiet the machine, or use a token budget");
            }
        }

        if (baseline.Cost?.TokensPerSecond is { } baseRate && baseRate > 0 && cost?.TokensPerSecond is { } rate && rate > 0)
        {
            var ratio = rate / baseRate;
            if (ratio > factor || ratio < 1 / factor)
            {
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"throughput {rate:0} tokens/s against the baseline's {baseRate:0} ({ratio:0.0#}x, beyond [cost] drift_factor {factor:0.##})") +
                    ": a much larger or smaller model, or a machine busier or quieter than the baseline's");
            }
        }

        return warnings;
    }
}
