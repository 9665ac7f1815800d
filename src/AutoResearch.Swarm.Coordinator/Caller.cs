namespace AutoResearch.Swarm.Coordinator;

/// <summary>The registered worker a signed request came from.</summary>
/// <param name="Established">Trusted, or vouched for: agreed often enough with established verifiers to anchor a verification round.</param>
internal sealed record Caller(string Key, string Owner, bool Trusted, long Trust, bool Established);
