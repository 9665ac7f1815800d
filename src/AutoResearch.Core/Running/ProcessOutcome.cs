namespace AutoResearch.Core.Running;

/// <summary>How a process group ended.</summary>
/// <param name="ExitCode">The shell's exit code; -1 when it never exited by itself.</param>
/// <param name="TimedOut">Killed because the timeout passed.</param>
/// <param name="Cancelled">Killed because the caller cancelled (Ctrl-C).</param>
/// <param name="Wall">Wall-clock time from start to exit.</param>
/// <param name="PeakRssBytes">The largest sum of resident memory over the group's processes, sampled every 200 ms.</param>
internal sealed record ProcessOutcome(int ExitCode, bool TimedOut, bool Cancelled, TimeSpan Wall, long PeakRssBytes)
{
    /// <summary>Processes that had left the command's process group and were still running when it ended (killed), as <c>PID (name)</c>.</summary>
    public IReadOnlyList<string> Escaped { get; init; } = [];

    /// <summary>Why the executor ended the run when neither the command nor the harness did (the scheduler's reason), or null.</summary>
    public string? Failure { get; init; }
}
