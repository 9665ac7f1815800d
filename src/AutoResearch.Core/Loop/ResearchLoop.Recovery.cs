using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Workspace;

namespace AutoResearch.Core.Loop;

/// <summary>Resuming after a kill, and the once-per-workspace setup.</summary>
public sealed partial class ResearchLoop
{
    /// <summary>Brings unfinished rows of a killed session to a consistent state.</summary>
    private async Task RecoverAsync(Session session, string tip, CancellationToken cancellationToken)
    {
        var unfinished = session.Experiments().Where(e => e.Phase != ExperimentPhase.Done).ToList();
        foreach (var e in unfinished)
        {
            // A harness killed with -9 leaves its agent or runs going in their own process groups, in the slot's worktree.
            var directory = RunDirectory(e);
            var pidFiles = Directory.Exists(directory) ? Directory.GetFiles(directory, "*.pgid") : [];
            foreach (var pidFile in pidFiles)
            {
                if (await ProcessGroup.KillLeftoverAsync(pidFile, _workspace.WorktreePath(session.Run.Tag, e.Slot)).ConfigureAwait(false))
                {
                    _observer.OnMessage($"killed the {Path.GetFileNameWithoutExtension(pidFile)} process group left by the interrupted session");
                }
            }

            // Under Slurm the runs are jobs: adopting one would mean trusting a run nobody watched, so each is cancelled and its
            // experiment runs again below, like a local run's process group.
            await EndLeftoverJobsAsync(e).ConfigureAwait(false);
        }

        // Whatever a killed session left half-done in the worktree goes; the branch is the truth.
        await session.Main.ResetAsync(tip, cancellationToken).ConfigureAwait(false);
        foreach (var e in unfinished)
        {
            if (e.Phase == ExperimentPhase.Proposing)
            {
                // Nothing was committed; the half-made change died with the worktree reset.
                Forget(session, e.Id);
                _observer.OnMessage($"experiment {e.Seq} was interrupted while proposing; proposing afresh");
            }
            else if (!e.IsBaseline && e.CandidateCommit == tip && e.Metric is not null)
            {
                // The branch moved (keep) before the ledger said so: finish recording the keep.
                Finish(session, e with { Status = ExperimentStatus.Keep });
                _observer.OnMessage($"experiment {e.Seq} was kept just before the interruption; recorded");
            }
            else if (e.Attempts - e.Runs.Count >= 2)
            {
                Finish(session, e with
                {
                    Status = ExperimentStatus.Crash,
                    Error = $"the harness was killed twice while running this candidate; not retried (see {e.LogPath})",
                });
                if (e.IsBaseline)
                {
                    throw new ResearchException($"the baseline was interrupted twice; run `{_spec.Run.Command}` by hand to see why");
                }
            }
            else if (!e.IsBaseline)
            {
                _observer.OnMessage($"experiment {e.Seq} was interrupted while running; running it again");
                await RunCandidateAsync(session, session.Main, e, cancellationToken).ConfigureAwait(false);
            }
        }

        // Re-read: a candidate re-run above may have been kept and moved the branch.
        tip = await _workspace.BranchTipAsync(session.Run.Branch, cancellationToken).ConfigureAwait(false) ?? tip;
        var best = session.Best();
        if (best is not null && (best.CandidateCommit ?? best.ParentCommit) != tip)
        {
            throw new WorkspaceException(
                $"branch {session.Run.Branch} is at {tip[..7]} but the ledger's best is {(best.CandidateCommit ?? best.ParentCommit)[..7]}; " +
                $"move it back (`git branch -f {session.Run.Branch} {best.CandidateCommit ?? best.ParentCommit}`) or start a new --tag");
        }
    }

    /// <summary>Runs <c>[run] setup</c> once per workspace (again only when the command changes).</summary>
    private async Task SetupAsync(Worktree worktree, CancellationToken cancellationToken)
    {
        if (_spec.Run.Setup is not { } setup)
        {
            return;
        }

        var key = "setup:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(setup)))[..16];
        if (_ledger.GetMeta(key) is not null)
        {
            return;
        }

        _observer.OnMessage($"setup: {setup}");
        var logPath = Path.Combine(_workspace.StateDirectory, "setup.log");
        ProcessOutcome outcome;
        await using (var group = ProcessGroup.Start(setup, worktree.Path, logPath))
        {
            var limit = _spec.Run.Timeout > TimeSpan.FromMinutes(30) ? _spec.Run.Timeout : TimeSpan.FromMinutes(30);
            outcome = await group.WaitAsync(limit, cancellationToken).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (outcome.ExitCode != 0 || outcome.TimedOut)
        {
            var tail = ExperimentRunner.Tail(await File.ReadAllTextAsync(logPath, CancellationToken.None).ConfigureAwait(false), 15);
            throw new ResearchException(
                $"setup `{setup}` {(outcome.TimedOut ? "timed out" : $"failed with exit code {outcome.ExitCode}")}; log {logPath}:\n{tail}");
        }

        _ledger.SetMeta(key, _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
    }
}
