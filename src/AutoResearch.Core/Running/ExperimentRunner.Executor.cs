using AutoResearch.Core.Running.Slurm;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Running;

/// <summary>Where a command of a run executes: a process group here, or a Slurm job (<c>[run] executor</c>).</summary>
public sealed partial class ExperimentRunner
{
    /// <summary>True when runs are Slurm jobs.</summary>
    private bool OnSlurm => _spec.Run.Executor == ExecutorKind.Slurm;

    /// <summary>
    /// Runs <paramref name="command"/> to its end with the executor the spec names and returns how it ended. Under Slurm the
    /// job's id goes to <paramref name="onJob"/> (with the log's name) before the job may start, and again with a null id
    /// once it has ended; <paramref name="onRunning"/> is called when it starts running (the timeout counts from there).
    /// </summary>
    private async Task<ProcessOutcome> ExecuteAsync(
        string command,
        string worktree,
        string logPath,
        IReadOnlyDictionary<string, string?> environment,
        Action<string>? onLine,
        SlotResources? slot,
        Sandbox? sandbox,
        string? header,
        long experiment,
        Action<string, string?>? onJob,
        Action? onRunning,
        CancellationToken cancellationToken)
    {
        if (!OnSlurm)
        {
            await using var group = ProcessGroup.Start(command, worktree, logPath, environment, onLine, slot?.Cpus, sandbox, header: header);
            return await group.WaitAsync(_spec.Run.Timeout, cancellationToken).ConfigureAwait(false);
        }

        var phase = Path.GetFileName(logPath);
        var launch = new SlurmLaunch(
            command, worktree, logPath, environment, onLine, sandbox?.Prefix ?? [], header, SlurmJob.Name(_spec.Slurm, _spec.Root, experiment), _spec.Run.Timeout)
        {
            OnSubmitted = (id, _) =>
            {
                onJob?.Invoke(phase, id);
                return Task.CompletedTask;
            },
            OnEnded = _ => onJob?.Invoke(phase, null),
            OnRunning = onRunning,
        };
        SlurmJob job;
        try
        {
            job = await SlurmJob.SubmitAsync(SlurmClient.Default, _spec.Slurm, launch, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C or an early stop while sbatch ran: nothing was left held (SubmitAsync cancels what it submitted).
            return new ProcessOutcome(-1, TimedOut: false, Cancelled: true, TimeSpan.Zero, 0);
        }

        await using (job.ConfigureAwait(false))
        {
            return await job.WaitAsync(_spec.Run.Timeout, cancellationToken).ConfigureAwait(false);
        }
    }
}
