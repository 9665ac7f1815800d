namespace AutoResearch.Core.Acceptance;

/// <summary>A noise estimate: σ in metric units and the degrees of freedom it rests on (runs minus groups).</summary>
/// <param name="Sigma">The run-to-run standard deviation, in metric units.</param>
/// <param name="Degrees">Degrees of freedom: the number of repeated runs minus the number of codes they repeat.</param>
public readonly record struct NoiseEstimate(double Sigma, int Degrees);
