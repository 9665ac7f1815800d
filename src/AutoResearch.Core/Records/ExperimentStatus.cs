namespace AutoResearch.Core.Records;

/// <summary>How an experiment ended. Written lower-case in results.tsv and the ledger.</summary>
public enum ExperimentStatus
{
    /// <summary>An improvement: the branch advanced to it (the baseline is recorded as a keep).</summary>
    Keep,

    /// <summary>Ran, and was not better (or changed nothing); thrown away.</summary>
    Discard,

    /// <summary>The run failed, printed no usable metric, changed a read-only file, or the agent failed.</summary>
    Crash,

    /// <summary>The run passed its hard timeout and was killed.</summary>
    Timeout,

    /// <summary>The proposal changed files outside the editable scope; undone, never run.</summary>
    Rejected,

    /// <summary>Stopped early: its learning curve was clearly worse than the best's at the same point of the budget.</summary>
    Stopped,
}
