using System.Globalization;
using AutoResearch.Core.Proposers;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Loop;

/// <summary>One experiment: propose, guard, commit, run, decide, record.</summary>
public sealed partial class ResearchLoop
{
    private async Task BaselineAsync(Session session, string tip, CancellationToken cancellationToken)
    {
        var baseline = session.Experiments(_ledger).FirstOrDefault(e => e.IsBaseline)
            ?? _ledger.Insert(new ExperimentRecord
            {
                Tag = session.Run.Tag,
                Seq = 0,
                Phase = ExperimentPhase.Running,
                ParentCommit = tip,
                CandidateCommit = tip,
                Proposer = "baseline",
                Description = "baseline",
                StartedAt = _time.GetUtcNow(),
                Seed = _spec.Run.Seed,
            });
        _observer.OnExperimentStarted(baseline);
        await RunCandidateAsync(session, session.Main, baseline, checkedOut: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One proposal in <paramref name="slot"/>: propose, guard, commit, run, decide. Returns the decided record.</summary>
    /// <param name="experiment">The allocated row, in phase proposing, whose parent is <paramref name="best"/>'s commit.</param>
    private async Task<ExperimentRecord> ProposeAndRunAsync(
        Session session, Slot slot, ExperimentRecord experiment, ExperimentRecord best, CancellationToken cancellationToken)
    {
        var parent = experiment.ParentCommit;
        _observer.OnExperimentStarted(experiment);
        Proposal proposal;
        var clock = _time.GetTimestamp();
        try
        {
            if (slot.Head != parent)
            {
                // Another slot moved the best since this worktree was last reset.
                await slot.ResetAsync(parent, cancellationToken).ConfigureAwait(false);
            }

            var history = session.Experiments(_ledger).Where(e => e.Phase == ExperimentPhase.Done).ToList();
            var runDirectory = RunDirectory(experiment);
            var context = new ProposalContext(_spec, slot.Worktree.Path, runDirectory, experiment, best, history, LastCrashTail(history));
            proposal = await _proposer.ProposeAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C mid-proposal: forget the half-made change, as a resume after a kill would.
            _ledger.Delete(experiment.Id);
            await slot.ResetAsync(parent, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        var proposeSeconds = _time.GetElapsedTime(clock).TotalSeconds;

        // Committed even when it will be refused, so the patch is on record.
        var change = await slot.Worktree.CommitChangesAsync(parent, CommitMessage(experiment.Seq, proposal.Description), cancellationToken)
            .ConfigureAwait(false);
        slot.Holds(change?.Commit ?? parent);
        var changed = change?.ChangedPaths ?? [];
        experiment = experiment with
        {
            Description = proposal.Description,
            ProposeSeconds = proposeSeconds,
            InputTokens = proposal.InputTokens,
            OutputTokens = proposal.OutputTokens,
            ChangedPaths = changed,
            CandidateCommit = change?.Commit,
            Patch = change?.Patch,
        };

        var outside = changed.Where(p => !_spec.Scope.IsEditable(p)).ToList();
        ExperimentRecord? refused = null;
        if (!proposal.Succeeded)
        {
            refused = experiment with { Status = ExperimentStatus.Crash, Error = proposal.Error };
        }
        else if (changed.Count == 0)
        {
            refused = experiment with { Status = ExperimentStatus.Discard, Error = "the proposer changed nothing" };
        }
        else if (outside.Count > 0)
        {
            refused = experiment with
            {
                Status = ExperimentStatus.Rejected,
                Error = $"changed files outside the editable scope: {string.Join(", ", outside)} (editable: {string.Join(", ", _spec.Scope.Globs)})",
            };
        }

        if (refused is not null)
        {
            var done = Finish(session, refused);
            await slot.ResetAsync(parent, cancellationToken).ConfigureAwait(false);
            return done;
        }

        experiment = experiment with { Phase = ExperimentPhase.Running };
        _ledger.Save(experiment);
        return await RunCandidateAsync(session, slot, experiment, checkedOut: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Measures a committed candidate (or the baseline) as often as the acceptance rule asks, decides, moves the branch on a
    /// keep, records. Driven by the runs already recorded, so a resumed experiment picks up where the killed one stopped.
    /// </summary>
    /// <param name="checkedOut">True when the worktree already holds the candidate, clean, as right after its commit.</param>
    private async Task<ExperimentRecord> RunCandidateAsync(
        Session session, Slot slot, ExperimentRecord experiment, bool checkedOut, CancellationToken cancellationToken)
    {
        if (!checkedOut || slot.Head != experiment.CandidateCommit)
        {
            await slot.ResetAsync(experiment.CandidateCommit!, cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            if (experiment.IsBaseline && experiment.Runs.Count >= _spec.Acceptance.BaselineRepeats)
            {
                var sigma = Sigma(session.Experiments(_ledger).Select(e => e.Id == experiment.Id ? experiment : e));
                return Finish(session, experiment with
                {
                    Status = ExperimentStatus.Keep,
                    Sigma = sigma,
                    Threshold = _spec.Acceptance.Threshold(sigma),
                    Decision = string.Create(CultureInfo.InvariantCulture,
                        $"baseline: mean of {experiment.Runs.Count} run(s), noise σ {(sigma > 0 ? sigma.ToString("0.000000", CultureInfo.InvariantCulture) : "unknown")}"),
                });
            }

            if (!experiment.IsBaseline && experiment.Runs.Count > 0)
            {
                var (done, next) = await DecideAsync(session, slot, experiment, cancellationToken).ConfigureAwait(false);
                if (done is not null)
                {
                    return done;
                }

                experiment = next!;
            }

            var (measured, failed) = await MeasureAsync(session, slot, experiment, cancellationToken).ConfigureAwait(false);
            if (failed is not null)
            {
                return failed;
            }

            experiment = measured!;
        }
    }

    /// <summary>One run of the candidate the slot's worktree holds. Returns the experiment with the run added, or the finished failure.</summary>
    private async Task<(ExperimentRecord? Measured, ExperimentRecord? Failed)> MeasureAsync(
        Session session, Slot slot, ExperimentRecord experiment, CancellationToken cancellationToken)
    {
        var best = session.Best(_ledger);
        var index = experiment.Runs.Count;
        var seed = _spec.Run.Seed + index;
        // run.log, run-2.log, ...; a win rebased onto a newer best keeps the logs of its runs on the stale parent.
        var logName = string.Create(CultureInfo.InvariantCulture,
            $"run{(experiment.RebasedFrom is null ? "" : "-rebased")}{(index == 0 ? "" : $"-{index + 1}")}.log");
        experiment = experiment with
        {
            Attempts = experiment.Attempts + 1,
            LogPath = Path.Combine(RunDirectory(experiment), logName),
            Seed = index == 0 ? seed : experiment.Seed,
        };
        _ledger.Save(experiment);

        // Kept commits never touch read-only files, so one fingerprint per session is the truth for every run and slot.
        session.ReadOnlyFiles ??= await slot.Worktree.ReadOnlyFilesAsync(_spec.Scope, cancellationToken).ConfigureAwait(false);
        session.ReadOnly ??= await slot.Worktree.FingerprintAsync(session.ReadOnlyFiles, cancellationToken).ConfigureAwait(false);
        var before = session.ReadOnly;

        // Only a first run is stopped early: the baseline and confirmations are measurements the rule needs whole.
        var stopRule = !experiment.IsBaseline && index == 0 && _spec.EarlyStop.Enabled && best is not null ? EarlyStopFor(session, best) : null;
        _observer.OnRunning(experiment, _spec.Run.Timeout);
        var current = experiment;
        var result = await _runner.RunAsync(
            slot.Worktree.Path, RunDirectory(experiment), experiment.Id, seed,
            line => _observer.OnOutput(current, line), stopRule is null ? null : stopRule.Observe, slot.Resources, cancellationToken)
            .ConfigureAwait(false);
        if (result.Cancelled)
        {
            // Ctrl-C: this attempt does not count; a later run resumes the candidate.
            _ledger.Save(experiment with { Attempts = experiment.Attempts - 1 });
            await slot.ResetAsync(best?.CandidateCommit ?? experiment.CandidateCommit!, CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        var after = await slot.Worktree.FingerprintAsync(session.ReadOnlyFiles, cancellationToken).ConfigureAwait(false);
        var tampered = Workspace.Worktree.Differences(before, after);
        var (status, error) = Failure(result, tampered);
        experiment = experiment with
        {
            Metrics = result.Output.Metrics,
            Curve = index == 0 ? result.Output.Curve : experiment.Curve,
            ExitCode = result.ExitCode,
            PeakMemoryMb = Math.Max(experiment.PeakMemoryMb ?? 0, result.PeakMemoryMb),
            RunSeconds = (experiment.RunSeconds ?? 0) + result.Wall.TotalSeconds,
            // A flagged run (a self-reported metric the trusted score contradicts) keeps its status; the flag is its note.
            Error = error ?? result.Flag ?? experiment.Error,
        };
        if (result.Flag is { } flag)
        {
            _observer.OnMessage($"experiment {experiment.Seq}: {flag}");
        }

        if (result.Stopped)
        {
            (status, error) = (ExperimentStatus.Stopped, null);
            experiment = experiment with { Error = null, Decision = stopRule!.Reason, Threshold = stopRule.Margin };
        }

        if (status is { } failedStatus)
        {
            var failed = Finish(session, experiment with { Status = failedStatus, Metric = index == 0 ? null : experiment.Metric });
            await slot.ResetAsync(session.Best(_ledger) is null ? experiment.ParentCommit : session.BestCommit(_ledger), cancellationToken)
                .ConfigureAwait(false);
            if (experiment.IsBaseline)
            {
                // A run without a baseline cannot go on; close it so a plain `run` starts afresh once fixed.
                _ledger.FinishRun(session.Run.Tag, _time.GetUtcNow());
                throw new ResearchException($"the baseline failed: {error}\n{result.LogTail}");
            }

            return (null, failed);
        }

        var runs = experiment.Runs.Append(new Measurement(seed, result.Metric!.Value, result.Wall.TotalSeconds, result.Output.Curve)).ToList();
        experiment = experiment with { Runs = runs, Metric = runs.Average(r => r.Value) };
        // Metrics are durable before the branch moves, so a kill in between is recovered as a keep.
        _ledger.Save(experiment);
        return (experiment, null);
    }

    /// <summary>Why a run failed (crash, timeout, tampering, limits, scoring, no metric), or a null status when it produced a usable metric.</summary>
    private (ExperimentStatus? Status, string? Error) Failure(RunResult result, IReadOnlyList<string> tampered) => result.Judge(_spec, tampered);

    /// <summary>Marks an experiment done, rewrites results.tsv, tells the observer. Safe to call from any slot.</summary>
    private ExperimentRecord Finish(Session session, ExperimentRecord experiment)
    {
        var done = experiment with { Phase = ExperimentPhase.Done, FinishedAt = _time.GetUtcNow() };
        lock (_recordGate)
        {
            _ledger.Save(done);
            ResultsTsv.Write(Path.Combine(_workspace.Root, ResultsTsv.FileName), _spec.Objective.Metric, session.Experiments(_ledger));
            _observer.OnExperimentFinished(done, session.Best(_ledger) ?? done);
        }

        return done;
    }
}
