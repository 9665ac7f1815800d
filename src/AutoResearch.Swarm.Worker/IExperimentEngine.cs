using AutoResearch.Swarm.Protocol.Messages;

namespace AutoResearch.Swarm.Worker;

/// <summary>
/// Where a worker's experiments actually run: a real engine runs the project's real command through Core (proposer,
/// worktree, runner); the simulator's engine computes a synthetic objective. The worker owns the protocol; the engine owns the runs.
/// </summary>
public interface IExperimentEngine
{
    /// <summary>Proposes one change against <paramref name="head"/> and measures it; the engine decides locally whether it is a win.</summary>
    Task<Exploration> ExploreAsync(HeadSnapshot head, int seed, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies <paramref name="patch"/> (someone else's code: see <see cref="OthersCode"/>) to <paramref name="head"/> and runs parent
    /// and candidate paired at <paramref name="seed"/>; with <paramref name="holdout"/>, also scores both on the holdout.
    /// </summary>
    Task<Verification> VerifyAsync(HeadSnapshot head, string patch, int seed, bool holdout, CancellationToken cancellationToken = default);

    /// <summary>Runs <paramref name="head"/> unchanged at <paramref name="seed"/> (the coordinator measures the noise with such runs).</summary>
    Task<Measurement> MeasureAsync(HeadSnapshot head, int seed, CancellationToken cancellationToken = default);
}

/// <summary>The head to work on: its place in the chain and every accepted patch from the base commit, in order.</summary>
public sealed record HeadSnapshot(long Sequence, string HeadId, string BaseCommit, IReadOnlyList<ChainLink> Chain);

/// <summary>What one exploration found.</summary>
/// <param name="Win">True when the local acceptance rule kept it: the worker claims it.</param>
/// <param name="Status">keep, discard, crash, timeout, stopped, rejected (the local loop's words).</param>
/// <param name="Patch">The diff from the head, when there was a change.</param>
/// <param name="Description">One line: what was tried.</param>
/// <param name="ParentMetric">The head's metric as measured here.</param>
/// <param name="CandidateMetric">The candidate's metric.</param>
/// <param name="LogDigest">SHA-256 (hex) of the candidate's run log.</param>
/// <param name="Runs">How many runs this took (compute accounting).</param>
public sealed record Exploration(
    bool Win, string Status, string? Patch, string Description, double? ParentMetric, double? CandidateMetric, string LogDigest, int Runs);

/// <summary>What one verification measured; metrics null when a run failed.</summary>
public sealed record Verification(
    bool Applies, double? ParentMetric, double? CandidateMetric, double? HoldoutParent, double? HoldoutCandidate, string LogDigest, int Runs);

/// <summary>One run of a head; <see cref="Metric"/> null when it failed.</summary>
public sealed record Measurement(double? Metric, string LogDigest, int Runs);
