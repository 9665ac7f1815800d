namespace AutoResearch.Core.Records;

/// <summary>Where an experiment is in its life; only <see cref="Done"/> rows have a status.</summary>
public enum ExperimentPhase
{
    /// <summary>The proposer is editing the worktree; nothing is committed yet.</summary>
    Proposing,

    /// <summary>The candidate is committed and its patch saved; it is being (or about to be) run.</summary>
    Running,

    /// <summary>Decided and recorded.</summary>
    Done,
}
