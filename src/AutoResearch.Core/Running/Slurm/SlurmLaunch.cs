namespace AutoResearch.Core.Running.Slurm;

/// <summary>One command to run as a Slurm batch job, the way <see cref="ProcessGroup.Start"/> runs it locally.</summary>
/// <param name="Command">The shell command (<c>bash -c</c>).</param>
/// <param name="WorkingDirectory">Where it starts: a folder on the shared file system.</param>
/// <param name="LogPath">Receives its stdout and stderr (the job's output file), read back line by line as it grows.</param>
/// <param name="Environment">Variables added to (or, when null-valued, removed from) the harness's environment for the job.</param>
/// <param name="OnLine">Called with each output line as it is read.</param>
/// <param name="Prefix">Arguments that go before <c>bash -c COMMAND</c> inside the job (the sandbox's bwrap line), or none.</param>
/// <param name="Header">A first line for the log (e.g. the sandbox's description).</param>
/// <param name="Name">The job's name, by which a resumed harness finds jobs it has no id for.</param>
/// <param name="Timeout">The run's timeout: the job's time limit is this plus a margin, and the harness cancels it at this.</param>
internal sealed record SlurmLaunch(
    string Command,
    string WorkingDirectory,
    string LogPath,
    IReadOnlyDictionary<string, string?> Environment,
    Action<string>? OnLine,
    IReadOnlyList<string> Prefix,
    string? Header,
    string Name,
    TimeSpan Timeout)
{
    /// <summary>
    /// Called with the job's id after it was submitted held and before it is released: where the id is made durable (the
    /// ledger), so a harness killed at any moment later finds the job. A throw cancels the job.
    /// </summary>
    public Func<string, CancellationToken, Task>? OnSubmitted { get; init; }

    /// <summary>Called with the job's id once the scheduler says it has ended (nothing of it runs any more).</summary>
    public Action<string>? OnEnded { get; init; }

    /// <summary>Called when the job starts running (its timeout counts from here), again after each retry.</summary>
    public Action? OnRunning { get; init; }
}
