using AutoResearch.Core.Running;

namespace AutoResearch.Core.Records;

/// <summary>One finished run of an experiment's code: a baseline repeat, a first run or a confirmation.</summary>
/// <param name="Seed">The seed it ran with (<c>AUTORESEARCH_SEED</c>).</param>
/// <param name="Value">The objective's value.</param>
/// <param name="Seconds">Wall-clock seconds of the run.</param>
/// <param name="Curve">Its learning curve.</param>
public sealed record Measurement(int Seed, double Value, double Seconds, IReadOnlyList<CurvePoint> Curve);
