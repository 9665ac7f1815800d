using System.Globalization;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Running.Slurm;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Loop;

/// <summary>Slots as Slurm jobs: each job's id in the ledger while it may run, and the jobs a killed session left, ended.</summary>
public sealed partial class ResearchLoop
{
    /// <summary>The ledger's key prefix of a running job's id: <c>job:EXPERIMENT:LOG</c>.</summary>
    internal const string JobKeyPrefix = "job:";

    /// <summary>What slot <paramref name="index"/> of <paramref name="count"/> may use: a share of this machine, or a job's own resources.</summary>
    private SlotResources SlotFor(int index, int count, int cores) =>
        _spec.Run.Executor == ExecutorKind.Slurm
            ? SlotResources.ForJob(index, _spec.Slurm.Cpus)
            : SlotResources.For(index, count, _spec.Run.Gpus, cores);

    /// <summary>The ledger's key for the job that writes log <paramref name="log"/> of experiment <paramref name="experiment"/>.</summary>
    private static string JobKey(long experiment, string log) => string.Create(CultureInfo.InvariantCulture, $"{JobKeyPrefix}{experiment}:{log}");

    /// <summary>Keeps a job's id in the ledger from before it can start until it has ended (a null id), so a resumed session finds it.</summary>
    private void RecordJob(long experiment, string log, string? jobId)
    {
        if (jobId is null)
        {
            _ledger.DeleteMeta(JobKey(experiment, log));
        }
        else
        {
            _ledger.SetMeta(JobKey(experiment, log), jobId);
        }
    }

    /// <summary>
    /// Cancels the jobs of <paramref name="experiment"/> that a killed session left queued or running: those whose ids the ledger
    /// holds and, under Slurm, any other by the experiment's job name (one submitted in the instant before its id was
    /// recorded). Waits until each has ended, so the experiment's worktree is nobody else's when it runs again.
    /// </summary>
    private async Task EndLeftoverJobsAsync(ExperimentRecord experiment)
    {
        var recorded = _ledger.MetaStartingWith(JobKey(experiment.Id, ""));
        if (recorded.Count == 0 && _spec.Run.Executor != ExecutorKind.Slurm)
        {
            return;
        }

        var client = SlurmClient.Default;
        var cancelled = new SortedSet<string>(await SlurmJob.CancelAsync(client, recorded.Select(r => r.Value)).ConfigureAwait(false), StringComparer.Ordinal);
        if (_spec.Run.Executor == ExecutorKind.Slurm)
        {
            cancelled.UnionWith(await SlurmJob.CancelAllAsync(client, _spec.Slurm, _spec.Root, experiment.Id).ConfigureAwait(false));
        }

        foreach (var (key, _) in recorded)
        {
            _ledger.DeleteMeta(key);
        }

        if (cancelled.Count > 0)
        {
            _observer.OnMessage(
                $"cancelled Slurm job{(cancelled.Count == 1 ? "" : "s")} {string.Join(", ", cancelled)} of experiment {experiment.Seq}, left running by the interrupted session");
        }
    }
}
