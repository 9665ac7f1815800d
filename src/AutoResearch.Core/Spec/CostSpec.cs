using System.Text.RegularExpressions;
using AutoResearch.Core.Records;

namespace AutoResearch.Core.Spec;

/// <summary>
/// The <c>[cost]</c> section: what an experiment's cost is, how it is read from the run's log, when a run's conditions
/// are too far from the baseline's to compare, and whether the search weighs cost.
/// </summary>
public sealed record CostSpec
{
    /// <summary>The defaults: cost is wall time, drift factor 2, the summary block's usual keys, the search ignores cost.</summary>
    public static CostSpec Default { get; } = new();

    /// <summary><c>measure</c>: what the cost ratio of an experiment compares with its parent's. Default time (seconds per run).</summary>
    public CostMeasure Measure { get; init; } = CostMeasure.Time;

    /// <summary>
    /// <c>drift_factor</c>: a run whose machine load or throughput (tokens/s) differs from the baseline's by more than this
    /// factor either way is warned about (live view, log, ledger). Default 2; above 1.
    /// </summary>
    public double DriftFactor { get; init; } = 2;

    /// <summary>
    /// <c>search_weight</c>: the search's objective becomes the metric plus this weight times the natural log of the cost
    /// ratio against the baseline (in metric units per e-fold of cost; for a maximised metric, minus). Default 0: cost is ignored.
    /// </summary>
    public double SearchWeight { get; init; }

    /// <summary><c>tokens</c>: a regex with a <c>value</c> group (and an optional <c>unit</c> group: K, M, B) for the tokens a run trained on; the last match wins.</summary>
    public Regex? Tokens { get; init; }

    /// <summary><c>iterations</c>: a regex with a <c>value</c> group for the run's iterations (e.g. <c>'iter (?&lt;value&gt;\d+)'</c>); the last match wins.</summary>
    public Regex? Iterations { get; init; }

    /// <summary><c>params</c>: a regex with a <c>value</c> group and optional <c>unit</c> group for the parameter count (e.g. <c>'number of parameters: (?&lt;value&gt;[0-9.]+)(?&lt;unit&gt;M)'</c>).</summary>
    public Regex? Params { get; init; }
}
