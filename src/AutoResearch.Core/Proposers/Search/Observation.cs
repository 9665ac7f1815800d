namespace AutoResearch.Core.Proposers.Search;

/// <summary>One evaluated point of the unit cube.</summary>
/// <param name="Point">Coordinates in [0, 1], one per <see cref="SearchDimension"/>.</param>
/// <param name="Value">The objective, to be minimised; null when the evaluation failed (a crash or a timeout),
/// which the optimizer treats as the worst value seen so that it learns to avoid the region.</param>
public sealed record Observation(IReadOnlyList<double> Point, double? Value);
