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
        var baseline = session.Experiments().FirstOrDefault(e => e.IsBaseline)
            ?? Insert(session, new ExperimentRecord
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
        await RunCandidateAsync(session, session.Main, baseline, cancellationToken).ConfigureAwait(false);
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
            // Every proposal starts from a clean checkout of its parent, whatever the slot last held: what earlier runs left
            // in the worktree (a checkpoint under out/, a log, __pycache__) would otherwise be swept into its commit.
            await CleanAsync(session, slot, parent, cancellationToken).ConfigureAwait(false);

            var history = session.Experiments().Where(e => e.Phase == ExperimentPhase.Done).ToList();
            var runDirectory = RunDirectory(experiment);
            var context = new ProposalContext(_spec, slot.Worktree.Path, runDirectory, experiment, best, history, LastCrashTail(history));
            proposal = await _proposer.ProposeAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C mid-proposal: forget the half-made change, as a resume after a kill would, and undo what the agent did
            // to the repository before it was stopped.
            foreach (var breach in await _guard!.CheckAsync(CancellationToken.None).ConfigureAwait(false))
            {
                _observer.OnMessage($"experiment {experiment.Seq}: the interrupted agent's turn changed the repository: {breach} (restored)");
            }

            Forget(session, experiment.Id);
            await slot.ResetAsync(parent, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        var proposeSeconds = _time.GetElapsedTime(clock).TotalSeconds;

        // The agent's turn is over and every process of it is gone: what it did outside the worktree is undone before the
        // harness runs git again, and the ledger must still say what the harness wrote.
        var breaches = await _guard!.CheckAsync(cancellationToken).ConfigureAwait(false);
        experiment = experiment with { Description = proposal.Description, ProposeSeconds = proposeSeconds };
        if (LedgerTampered(session, $"the agent's turn of experiment {experiment.Seq}") is { } tampered)
        {
            Finish(session, experiment with { Status = ExperimentStatus.Rejected, Error = "changed the ledger: " + tampered.Message });
            await slot.ResetAsync(parent, CancellationToken.None).ConfigureAwait(false);
            throw tampered;
        }

        // What the agent's own trial runs wrote ([run] outputs) is not its proposal: left out before anything is measured.
        var products = await slot.Worktree.RemoveUntrackedAsync(_spec.Run.IsOutput, cancellationToken).ConfigureAwait(false);
        if (products.Count > 0)
        {
            _observer.OnMessage($"experiment {experiment.Seq}: left out of the proposal as run outputs ([run] outputs): {Shown(products)}");
        }

        var limit = _spec.Agent.MaxChangeMb * 1024 * 1024;
        var written = await slot.Worktree.PendingChangeBytesAsync(cancellationToken).ConfigureAwait(false);
        if (written > limit)
        {
            // Never committed: an oversized proposal must not reach git's object store, nor the ledger as a patch.
            var oversized = Finish(session, experiment with
            {
                Status = ExperimentStatus.Rejected,
                Error = string.Create(CultureInfo.InvariantCulture,
                    $"the proposal wrote {written / (1024.0 * 1024.0):0.#} MB into the worktree, over the limit of {_spec.Agent.MaxChangeMb} MB ([agent] max_change_mb); not committed"),
            });
            await slot.ResetAsync(parent, cancellationToken).ConfigureAwait(false);
            return oversized;
        }

        // Committed even when it will be refused, so the patch is on record.
        var change = await slot.Worktree.CommitChangesAsync(parent, CommitMessage(experiment.Seq, proposal.Description), cancellationToken)
            .ConfigureAwait(false);
        slot.Holds(change?.Commit ?? parent);
        var changed = change?.ChangedPaths ?? [];
        var binary = change is null ? [] : await slot.Worktree.BinaryPathsAsync(parent, change.Commit, cancellationToken).ConfigureAwait(false);
        var patch = change?.Patch;
        if (binary.Count > 0)
        {
            // Never into the ledger: a binary patch is the file's bytes in base85 (a checkpoint makes it megabytes).
            patch = await slot.Worktree.TextPatchAsync(parent, change!.Commit, cancellationToken).ConfigureAwait(false);
        }

        experiment = experiment with
        {
            Description = proposal.Description,
            ProposeSeconds = proposeSeconds,
            InputTokens = proposal.InputTokens,
            OutputTokens = proposal.OutputTokens,
            ChangedPaths = changed,
            CandidateCommit = change?.Commit,
            Patch = patch,
        };

        var outside = changed.Where(p => !_spec.Scope.IsEditable(p)).ToList();
        var forbidden = change?.ForbiddenModes() ?? [];
        var escaped = proposal.Escaped.Count > 0 ? $"processes of the agent outlived its turn and were killed: {string.Join(", ", proposal.Escaped)}" : null;
        ExperimentRecord? refused = null;
        if (breaches.Count > 0)
        {
            refused = experiment with
            {
                Status = ExperimentStatus.Rejected,
                Error = $"the agent changed the repository outside its worktree (restored): {string.Join("; ", breaches)}",
            };
        }
        else if (!proposal.Succeeded)
        {
            refused = experiment with { Status = ExperimentStatus.Crash, Error = proposal.Error + (escaped is null ? "" : $"; {escaped}") };
        }
        else if (forbidden.Count > 0)
        {
            refused = experiment with
            {
                Status = ExperimentStatus.Rejected,
                Error = $"the change holds what is never run: {string.Join("; ", forbidden)} (only plain files may change)",
            };
        }
        else if (binary.Count > 0)
        {
            refused = experiment with
            {
                Status = ExperimentStatus.Rejected,
                Error = $"the change holds binary files: {Shown(binary)} (a proposal changes source, never data or checkpoints; " +
                    "if runs write them, name them in [run] outputs; if runs need them, commit them to your repository first)",
            };
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

        experiment = experiment with { Phase = ExperimentPhase.Running, Error = escaped };
        Save(session, experiment);
        return await RunCandidateAsync(session, slot, experiment, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Measures a committed candidate (or the baseline) as often as the acceptance rule asks, decides, moves the branch on a
    /// keep, records. Driven by the runs already recorded, so a resumed experiment picks up where the killed one stopped.
    /// </summary>
    private async Task<ExperimentRecord> RunCandidateAsync(
        Session session, Slot slot, ExperimentRecord experiment, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (experiment.IsBaseline && experiment.Runs.Count >= _spec.Acceptance.BaselineRepeats)
            {
                var sigma = Sigma(session.Experiments().Select(e => e.Id == experiment.Id ? experiment : e));
                var noise = NoiseNote(experiment, sigma);
                if (noise.Warning is { } warning)
                {
                    _observer.OnMessage("warning: " + warning);
                }

                return Finish(session, experiment with
                {
                    Status = ExperimentStatus.Keep,
                    Sigma = sigma,
                    Threshold = _spec.Acceptance.Threshold(sigma),
                    Decision = string.Create(CultureInfo.InvariantCulture,
                        $"baseline: mean of {experiment.Runs.Count} run(s), noise σ {noise.Sigma}{(noise.Warning is null ? "" : "; warning: " + noise.Warning)}"),
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
        var best = session.Best();
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
        Save(session, experiment);

        // Every run starts from a clean checkout of the candidate: nothing an agent or an earlier run left in the worktree
        // (an untracked module that shadows an import, an ignored checkpoint) is there, only the workspace's prepared inputs.
        await CleanAsync(session, slot, experiment.CandidateCommit!, cancellationToken).ConfigureAwait(false);

        // Kept commits never touch read-only files, so one fingerprint per session is the truth for every run and slot.
        // The read-only inputs join them: a run that changes its data is caught like one that changes prepare.py.
        session.ReadOnlyFiles ??= [.. await slot.Worktree.ReadOnlyFilesAsync(_spec.Scope, cancellationToken).ConfigureAwait(false), .. session.ReadOnlyInputs];
        session.ReadOnly ??= await slot.Worktree.FingerprintAsync(session.ReadOnlyFiles, cancellationToken).ConfigureAwait(false);
        var before = session.ReadOnly;

        // Only a first run is stopped early: the baseline and confirmations are measurements the rule needs whole.
        var stopRule = !experiment.IsBaseline && index == 0 && _spec.EarlyStop.Enabled && best is not null ? EarlyStopFor(session, best) : null;
        _observer.OnRunning(experiment, _spec.Run.Timeout);
        var current = experiment;
        var candidate = experiment.CandidateCommit!;
        var result = await _runner.RunAsync(
            slot.Worktree.Path, RunDirectory(experiment), experiment.Id, seed,
            line => _observer.OnOutput(current, line), stopRule is null ? null : stopRule.Observe, slot.Resources,
            beforeScoring: ct => CleanAsync(session, slot, candidate, ct), readOnlyFiles: session.ReadOnlyFiles, logName: logName,
            onJob: (log, job) => RecordJob(current.Id, log, job), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        var breaches = await _guard!.CheckAsync(CancellationToken.None).ConfigureAwait(false);
        if (result.Cancelled)
        {
            // Ctrl-C: this attempt does not count; a later run resumes the candidate.
            foreach (var breach in breaches)
            {
                _observer.OnMessage($"experiment {experiment.Seq}: the interrupted run changed the repository: {breach} (restored)");
            }

            Save(session, experiment with { Attempts = experiment.Attempts - 1 });
            await slot.ResetAsync(best?.CandidateCommit ?? experiment.CandidateCommit!, CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (LedgerTampered(session, $"run {index + 1} of experiment {experiment.Seq}") is { } forged)
        {
            Finish(session, experiment with { Status = ExperimentStatus.Crash, Metric = index == 0 ? null : experiment.Metric, Error = "changed the ledger: " + forged.Message });
            await slot.ResetAsync(session.BestCommit(), CancellationToken.None).ConfigureAwait(false);
            throw forged;
        }

        var after = await slot.Worktree.FingerprintAsync(session.ReadOnlyFiles, cancellationToken).ConfigureAwait(false);
        var tampered = Workspace.Worktree.Differences(before, after);
        var (status, error) = Failure(result, tampered);
        if (status is null && result.Escaped.Count > 0)
        {
            // The kill came before the hashes, so nothing could be swapped behind them; the escape is the run's note.
            error = $"processes of the run outlived it and were killed: {string.Join(", ", result.Escaped)}";
        }
        var drift = Drift.Warnings(
            experiment.IsBaseline ? experiment : session.Experiments().FirstOrDefault(e => e.IsBaseline), result.Cost, result.Conditions, _spec.Cost.DriftFactor);
        foreach (var warning in drift)
        {
            _observer.OnMessage($"experiment {experiment.Seq}: warning: {warning}");
        }

        experiment = experiment with
        {
            Cost = result.Cost is { } cost ? ExperimentCost.Add(experiment.Cost, cost) : experiment.Cost,
            Conditions = result.Conditions is { } conditions ? RunConditions.Add(experiment.Conditions, conditions with { Warnings = drift }) : experiment.Conditions,
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

        if (breaches.Count > 0)
        {
            // Whatever the run printed, a run that wrote to the repository (hooks, config, refs, the user's checkout) is a crash.
            status = ExperimentStatus.Crash;
            error = $"the run changed the repository outside its worktree (restored): {string.Join("; ", breaches)}" + (error is null ? "" : $"; {error}");
            experiment = experiment with { Error = error };
        }

        if (status is { } failedStatus)
        {
            var failed = Finish(session, experiment with { Status = failedStatus, Metric = index == 0 ? null : experiment.Metric });
            await slot.ResetAsync(session.Best() is null ? experiment.ParentCommit : session.BestCommit(), cancellationToken)
                .ConfigureAwait(false);
            if (experiment.IsBaseline)
            {
                // A run without a baseline cannot go on; close it so a plain `run` starts afresh once fixed.
                _ledger.FinishRun(session.Run.Tag, _time.GetUtcNow());
                var hint = _uncommittedHint is null ? "" : $"\nworkspace files {_uncommittedHint}";
                throw new ResearchException($"the baseline failed: {error}\n{result.LogTail}{hint}");
            }

            return (null, failed);
        }

        var runs = experiment.Runs.Append(new Measurement(seed, result.Metric!.Value, result.Wall.TotalSeconds, result.Output.Curve)).ToList();
        experiment = experiment with { Runs = runs, Metric = runs.Average(r => r.Value) };
        // Metrics are durable before the branch moves, so a kill in between is recovered as a keep.
        Save(session, experiment);
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
            Save(session, done);
            ResultsTsv.Write(Path.Combine(_workspace.Root, ResultsTsv.FileName), _spec.Objective.Metric, session.Experiments());
            _observer.OnExperimentFinished(done, session.Best() ?? done);
        }

        return done;
    }
}
