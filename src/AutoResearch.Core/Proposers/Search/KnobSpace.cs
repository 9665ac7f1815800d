namespace AutoResearch.Core.Proposers.Search;

/// <summary>
/// The values a knob may take: a numeric range (optionally log-scaled, optionally integer, optionally powers of two)
/// or a list of choices (booleans and strings). Frozen knobs are never changed.
/// </summary>
public sealed record KnobSpace
{
    public KnobKind Kind { get; init; }

    public double Low { get; init; }

    public double High { get; init; }

    /// <summary>Searched on a log scale (positive ranges only).</summary>
    public bool Log { get; init; }

    /// <summary>Integers that stay powers of two.</summary>
    public bool PowerOfTwo { get; init; }

    public IReadOnlyList<string> Choices { get; init; } = [];

    public bool Frozen { get; init; }
}
