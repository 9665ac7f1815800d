namespace AutoResearch.Core.Running;

/// <summary>
/// A command an executor started (a local process group, a Slurm job): its output goes to a log, line by line to the caller,
/// and it is waited for under a timeout. Disposing it ends whatever is left of it.
/// </summary>
internal interface IRunningCommand : IAsyncDisposable
{
    /// <summary>The log that receives the command's output.</summary>
    string LogPath { get; }

    /// <summary>
    /// Waits for the command to end, or ends it when <paramref name="timeout"/> (counted from when it started running) passes
    /// or <paramref name="cancellationToken"/> fires.
    /// </summary>
    Task<ProcessOutcome> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default);
}
