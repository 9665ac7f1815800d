namespace AutoResearch.Core.Records;

/// <summary>Which measure of an experiment's cost its cost ratio compares (<c>[cost] measure</c>).</summary>
public enum CostMeasure
{
    /// <summary>Wall-clock seconds per run (the default).</summary>
    Time,

    /// <summary>Training tokens per run.</summary>
    Tokens,

    /// <summary>Training iterations (steps) per run.</summary>
    Iterations,

    /// <summary>The model's parameter count.</summary>
    Params,

    /// <summary>Peak memory.</summary>
    Memory,
}
