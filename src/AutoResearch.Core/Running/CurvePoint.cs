namespace AutoResearch.Core.Running;

/// <summary>One point of a learning curve: how far through its budget the run was, and its loss there.</summary>
/// <param name="Progress">Percent of the budget, 0 to 100.</param>
/// <param name="Value">The loss (or whatever the progress line reports).</param>
public sealed record CurvePoint(double Progress, double Value);
