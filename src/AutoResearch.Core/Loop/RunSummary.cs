using AutoResearch.Core.Records;

namespace AutoResearch.Core.Loop;

/// <summary>Where a run stands when the loop returns.</summary>
/// <param name="Run">The run.</param>
/// <param name="Baseline">The baseline experiment.</param>
/// <param name="Best">The best experiment (the branch tip).</param>
/// <param name="Experiments">All the run's experiments, baseline first.</param>
/// <param name="StopReason">Why the loop returned.</param>
public sealed record RunSummary(
    RunRecord Run,
    ExperimentRecord Baseline,
    ExperimentRecord Best,
    IReadOnlyList<ExperimentRecord> Experiments,
    string StopReason);
