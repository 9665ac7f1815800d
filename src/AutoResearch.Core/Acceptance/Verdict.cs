namespace AutoResearch.Core.Acceptance;

/// <summary>What <see cref="AcceptanceRule"/> concluded about a candidate.</summary>
/// <param name="Outcome">Keep, discard, or measure again.</param>
/// <param name="Margin">The improvement of the candidate's mean over the best (positive is better), in metric units.</param>
/// <param name="Threshold">The improvement a keep had to beat: max(min_delta, z·σ).</param>
/// <param name="Reason">The decision in words, for the ledger and <c>log</c>.</param>
public sealed record Verdict(VerdictOutcome Outcome, double Margin, double Threshold, string Reason);
