namespace AutoResearch.Swarm.Simulator;

/// <summary>What a simulation measured: latency as the workers saw it, and inside the coordinator (Server*).</summary>
public sealed record SimulationReport(
    long ChainLength, double BaseLoss, double HeadLoss, double VerificationOverhead, long FraudulentAccepted, long Requests, double RequestsPerSecond,
    IReadOnlyList<(string Kind, long Attempts, long Accepted, long Caught)> Adversaries,
    IReadOnlyList<(string Endpoint, int Count, double P50, double P99)> Latency, (int Count, double P50, double P99) Overall,
    IReadOnlyList<(string Endpoint, int Count, double P50, double P99)> ServerLatency, (int Count, double P50, double P99) ServerOverall)
{
    /// <summary>When the steady state starts, in seconds from the start: every worker has joined.</summary>
    public double SteadyFrom { get; init; }

    /// <summary>Latency per endpoint as the workers saw it, from <see cref="SteadyFrom"/> on.</summary>
    public IReadOnlyList<(string Endpoint, int Count, double P50, double P99)> SteadyLatency { get; init; } = [];

    /// <summary>All endpoints together as the workers saw them, from <see cref="SteadyFrom"/> on.</summary>
    public (int Count, double P50, double P99) SteadyOverall { get; init; }

    /// <summary>How many patches the coordinator read without git, and how many by git (chain links, and what the direct reader leaves to git).</summary>
    public (long Direct, long ByGit) PatchReads { get; init; }

    /// <summary>The training runs made to explore and to verify.</summary>
    public double ExploreRuns { get; init; }

    /// <inheritdoc cref="ExploreRuns"/>
    public double VerifyRuns { get; init; }

    /// <summary>The head's true (noiseless) loss after each accepted link, at the second it was accepted (from the start).</summary>
    public IReadOnlyList<(double Seconds, double Loss)> Series { get; init; } = [];

    /// <summary>Wins claimed (alone: kept).</summary>
    public long Claims { get; init; }

    /// <summary>Explorations reported.</summary>
    public long Explorations { get; init; }

    /// <summary>The share of explorations that were stale on arrival: reported after the chain had moved past their head.</summary>
    public double StaleShare { get; init; }

    /// <summary>How long the simulation ran, in seconds.</summary>
    public double Seconds { get; init; }

    /// <summary>The summary line the simulator ends with.</summary>
    public string LastLine => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"fraudulent_accepted: {FraudulentAccepted} verification_overhead: {VerificationOverhead * 100:0.0}% chain_length: {ChainLength}");
}
