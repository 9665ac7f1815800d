using System.Text.RegularExpressions;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Running;

/// <summary>
/// Reads what a run cost from its log, the way <see cref="RunOutput"/> reads its metric: the summary block's usual keys
/// (<c>total_tokens_M</c>, <c>num_steps</c>, <c>num_params_M</c>, <c>tokens_per_sec</c>, as the tinygpt workload prints
/// them), else the <c>[cost]</c> patterns (last match wins; an optional <c>unit</c> group K, M or B scales the value).
/// </summary>
public static class CostReader
{
    private static readonly (string Key, double Scale)[] s_tokens = [("total_tokens_M", 1e6), ("total_tokens", 1), ("tokens", 1)];
    private static readonly (string Key, double Scale)[] s_iterations = [("num_steps", 1), ("steps", 1), ("iterations", 1), ("iters", 1), ("iter", 1)];
    private static readonly (string Key, double Scale)[] s_params = [("num_params_M", 1e6), ("num_params", 1), ("params", 1), ("n_params", 1)];
    private static readonly (string Key, double Scale)[] s_throughput = [("tokens_per_sec", 1), ("tokens_per_second", 1), ("tok_per_sec", 1)];

    /// <summary>The cost of one run.</summary>
    /// <param name="log">The run's log.</param>
    /// <param name="output">What <see cref="RunOutput.Parse"/> read from it (the summary block).</param>
    /// <param name="spec">The <c>[cost]</c> section.</param>
    /// <param name="seconds">The run's wall-clock seconds.</param>
    /// <param name="memoryMb">The run's peak memory in MB; null or 0 when unknown.</param>
    public static ExperimentCost Read(string log, RunOutput output, CostSpec spec, double seconds, double? memoryMb)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(spec);
        var tokens = Last(log, spec.Tokens) ?? Summary(output, s_tokens);
        var throughput = Summary(output, s_throughput);
        if (throughput is null && tokens is { } t && output.Metrics.TryGetValue("training_seconds", out var training) && training > 0)
        {
            throughput = t / training;
        }

        // A number the run printed is never trusted to be finite after scaling (1e303 tokens_M is infinite tokens).
        return new ExperimentCost
        {
            Seconds = Finite(seconds),
            Tokens = Finite(tokens),
            Iterations = Finite(Last(log, spec.Iterations) ?? Summary(output, s_iterations)),
            Params = Finite(Last(log, spec.Params) ?? Summary(output, s_params)),
            MemoryMb = memoryMb is > 0 ? Finite(memoryMb) : null,
            TokensPerSecond = Finite(throughput),
        };
    }

    /// <summary><paramref name="value"/> when it is a finite number, null otherwise.</summary>
    internal static double? Finite(double? value) => value is { } v && double.IsFinite(v) ? v : null;

    private static double? Summary(RunOutput output, (string Key, double Scale)[] keys)
    {
        foreach (var (key, scale) in keys)
        {
            if (output.Metrics.TryGetValue(key, out var value) && double.IsFinite(value))
            {
                return value * scale;
            }
        }

        return null;
    }

    private static double? Last(string log, Regex? pattern)
    {
        if (pattern?.Matches(log).LastOrDefault() is not { } match)
        {
            return null;
        }

        var value = ObjectiveSpec.ParseNumber(match.Groups["value"].Value);
        var scale = match.Groups["unit"].Value.Trim().ToUpperInvariant() switch
        {
            "K" => 1e3,
            "M" => 1e6,
            "B" or "G" => 1e9,
            _ => 1,
        };
        return double.IsFinite(value) ? value * scale : null;
    }
}
