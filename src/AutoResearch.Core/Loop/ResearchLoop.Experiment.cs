using System.Globalization;
using AutoResearch.Core.Proposers;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;

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
        await RunCandidateAsync(session, baseline, checkedOut: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One proposal: propose, guard, commit, run, decide. Returns the decided record.</summary>
    private async Task<ExperimentRecord> ProposeAndRunAsync(Session session, CancellationToken cancellationToken)
    {
        var best = session.Best(_ledger) ?? throw new InvalidOperationException("no baseline");
        var parent = best.CandidateCommit ?? best.ParentCommit;
        var history = session.Experiments(_ledger).Where(e => e.Phase == ExperimentPhase.Done).ToList();
        var experiment = _ledger.Insert(new ExperimentRecord
        {
            Tag = session.Run.Tag,
            Seq = session.Experiments(_ledger).Max(e => e.Seq) + 1,
            Phase = ExperimentPhase.Proposing,
            ParentCommit = parent,
            Proposer = _proposer.Name,
            StartedAt = _time.GetUtcNow(),
            Seed = _spec.Run.Seed,
        });
        _observer.OnExperimentStarted(experiment);

        var runDirectory = RunDirectory(experiment);
        var context = new ProposalContext(_spec, session.Worktree.Path, runDirectory, experiment, best, history, LastCrashTail(history));
        var clock = _time.GetTimestamp();
        Proposal proposal;
        try
        {
            proposal = await _proposer.ProposeAsync(context, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C mid-proposal: forget the half-made change, as a resume after a kill would.
            _ledger.Delete(experiment.Id);
            await session.Worktree.ResetAsync(parent, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        var proposeSeconds = _time.GetElapsedTime(clock).TotalSeconds;

        // Committed even when it will be refused, so the patch is on record.
        var change = await session.Worktree.CommitChangesAsync(parent, CommitMessage(experiment.Seq, proposal.Description), cancellationToken)
            .ConfigureAwait(false);
        var changed = change?.ChangedPaths ?? [];
        experiment = experiment with
        {
            Description = proposal.Description,
            ProposeSeconds = proposeSeconds,
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
            await session.Worktree.ResetAsync(parent, cancellationToken).ConfigureAwait(false);
            return done;
        }

        experiment = experiment with { Phase = ExperimentPhase.Running };
        _ledger.Save(experiment);
        return await RunCandidateAsync(session, experiment, checkedOut: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs a committed candidate (or the baseline), decides, moves the branch on a keep, records.</summary>
    /// <param name="checkedOut">True when the worktree already holds the candidate, clean, as right after its commit.</param>
    private async Task<ExperimentRecord> RunCandidateAsync(Session session, ExperimentRecord experiment, bool checkedOut, CancellationToken cancellationToken)
    {
        var candidate = experiment.CandidateCommit!;
        var best = session.Best(_ledger);
        if (!checkedOut)
        {
            await session.Worktree.ResetAsync(candidate, cancellationToken).ConfigureAwait(false);
        }

        experiment = experiment with { Attempts = experiment.Attempts + 1, LogPath = Path.Combine(RunDirectory(experiment), "run.log") };
        _ledger.Save(experiment);

        // Kept commits never touch read-only files, so one fingerprint per session is the truth for every run.
        session.ReadOnlyFiles ??= await session.Worktree.ReadOnlyFilesAsync(_spec.Scope, cancellationToken).ConfigureAwait(false);
        session.ReadOnly ??= await session.Worktree.FingerprintAsync(session.ReadOnlyFiles, cancellationToken).ConfigureAwait(false);
        var before = session.ReadOnly;
        _observer.OnRunning(experiment, _spec.Run.Timeout);
        var current = experiment;
        var result = await _runner.RunAsync(
            session.Worktree.Path, RunDirectory(experiment), experiment.Id, experiment.Seed,
            line => _observer.OnOutput(current, line), cancellationToken).ConfigureAwait(false);
        if (result.Cancelled)
        {
            // Ctrl-C: this attempt does not count; a later run resumes the candidate.
            _ledger.Save(experiment with { Attempts = experiment.Attempts - 1 });
            await session.Worktree.ResetAsync(best?.CandidateCommit ?? candidate, CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        var after = await session.Worktree.FingerprintAsync(session.ReadOnlyFiles, cancellationToken).ConfigureAwait(false);
        var tampered = Worktree.Differences(before, after);
        var (status, error) = Decide(experiment, result, best, tampered);
        experiment = experiment with
        {
            Metric = result.Metric,
            Metrics = result.Output.Metrics,
            Curve = result.Output.Curve,
            ExitCode = result.ExitCode,
            PeakMemoryMb = result.PeakMemoryMb,
            RunSeconds = result.Wall.TotalSeconds,
            Error = error,
        };

        // Metrics are durable before the branch moves, so a kill in between is recovered as a keep.
        _ledger.Save(experiment);
        if (status == ExperimentStatus.Keep && !experiment.IsBaseline)
        {
            await _workspace.AdvanceBranchAsync(session.Run.Branch, candidate, experiment.ParentCommit, cancellationToken).ConfigureAwait(false);
        }

        var done = Finish(session, experiment with { Status = status });
        var resetTo = session.Best(_ledger)?.CandidateCommit ?? experiment.ParentCommit;
        await session.Worktree.ResetAsync(resetTo, cancellationToken).ConfigureAwait(false);
        if (experiment.IsBaseline && status != ExperimentStatus.Keep)
        {
            // A run without a baseline cannot go on; close it so a plain `run` starts afresh once fixed.
            _ledger.FinishRun(session.Run.Tag, _time.GetUtcNow());
            throw new ResearchException($"the baseline failed: {error}\n{result.LogTail}");
        }

        return done;
    }

    private (ExperimentStatus Status, string? Error) Decide(
        ExperimentRecord experiment,
        RunResult result,
        ExperimentRecord? best,
        IReadOnlyList<string> tampered)
    {
        var metric = _spec.Objective.Metric;
        var lastLine = result.LogTail.Split('\n').LastOrDefault() ?? "";
        if (tampered.Count > 0)
        {
            return (ExperimentStatus.Crash, $"integrity: the run changed read-only files: {string.Join(", ", tampered)}");
        }

        if (result.TimedOut)
        {
            return (ExperimentStatus.Timeout, $"killed after the {_spec.Run.Timeout.TotalSeconds:0} s timeout ([run] timeout_seconds)");
        }

        if (result.ExitCode != 0)
        {
            return (ExperimentStatus.Crash, $"exit code {result.ExitCode} (last line: {lastLine})");
        }

        if (result.Output.Metric is not { } value)
        {
            return (ExperimentStatus.Crash,
                $"no metric `{metric}` in {result.LogPath} (last line: {lastLine}); check [objective] pattern in {ResearchSpec.FileName}");
        }

        if (!double.IsFinite(value))
        {
            return (ExperimentStatus.Crash, $"{metric} was {value.ToString(CultureInfo.InvariantCulture)}");
        }

        if (experiment.IsBaseline || best?.Metric is not { } incumbent)
        {
            return (ExperimentStatus.Keep, null);
        }

        return _spec.Objective.IsBetter(value, incumbent) ? (ExperimentStatus.Keep, null) : (ExperimentStatus.Discard, null);
    }

    /// <summary>Marks an experiment done, rewrites results.tsv, tells the observer.</summary>
    private ExperimentRecord Finish(Session session, ExperimentRecord experiment)
    {
        var done = experiment with { Phase = ExperimentPhase.Done, FinishedAt = _time.GetUtcNow() };
        _ledger.Save(done);
        ResultsTsv.Write(Path.Combine(_workspace.Root, ResultsTsv.FileName), _spec.Objective.Metric, session.Experiments(_ledger));
        _observer.OnExperimentFinished(done, session.Best(_ledger) ?? done);
        return done;
    }
}
