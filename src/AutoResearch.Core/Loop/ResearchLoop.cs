using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AutoResearch.Core.Proposers;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;

namespace AutoResearch.Core.Loop;

/// <summary>
/// The research loop: baseline, then propose, guard, run, decide, record, until a limit or Ctrl-C.
/// The branch <c>autoresearch/&lt;tag&gt;</c> only ever moves to a kept commit; the ledger records each step
/// before the next one, so a kill at any moment resumes cleanly (see <see cref="RunAsync"/>).
/// </summary>
public sealed partial class ResearchLoop
{
    private readonly ResearchSpec _spec;
    private readonly GitWorkspace _workspace;
    private readonly Ledger _ledger;
    private readonly IProposer _proposer;
    private readonly ExperimentRunner _runner;
    private readonly IResearchObserver _observer;
    private readonly TimeProvider _time;

    public ResearchLoop(
        ResearchSpec spec,
        GitWorkspace workspace,
        Ledger ledger,
        IProposer proposer,
        ExperimentRunner runner,
        IResearchObserver? observer = null,
        TimeProvider? time = null)
    {
        _spec = spec ?? throw new ArgumentNullException(nameof(spec));
        _workspace = workspace ?? throw new ArgumentNullException(nameof(workspace));
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        _proposer = proposer ?? throw new ArgumentNullException(nameof(proposer));
        _runner = runner ?? throw new ArgumentNullException(nameof(runner));
        _observer = observer ?? new NullObserver();
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Runs (or resumes) a run until <paramref name="options"/>' limits, then returns its summary.
    /// On resume: an experiment killed while proposing is dropped and proposed afresh; one killed while running
    /// is run again (at most twice); one whose keep moved the branch but was not yet recorded is recorded as kept.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled; the run stays open and a later call resumes it.</exception>
    /// <exception cref="ResearchException">The baseline or setup failed, or the agent keeps failing.</exception>
    public async Task<RunSummary> RunAsync(LoopOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new SpecException("command line", problems);
        }

        var started = _time.GetTimestamp();
        await _workspace.EnsureExcludedAsync(cancellationToken).ConfigureAwait(false);
        await _workspace.EnsureCleanAsync(cancellationToken).ConfigureAwait(false);
        var (run, resumed) = await OpenRunAsync(options.Tag, cancellationToken).ConfigureAwait(false);
        var tip = await _workspace.BranchTipAsync(run.Branch, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkspaceException($"branch {run.Branch} of run {run.Tag} is gone; start a new run with another --tag");
        var worktree = await _workspace.WorktreeAsync(run.Tag, tip, cancellationToken).ConfigureAwait(false);
        _observer.OnRunStarted(run, resumed, worktree.Path);

        var session = new Session(run, worktree);
        await RecoverAsync(session, tip, cancellationToken).ConfigureAwait(false);
        await SetupAsync(worktree, cancellationToken).ConfigureAwait(false);

        var baseline = session.Experiments(_ledger).FirstOrDefault(e => e.IsBaseline && e.Phase == ExperimentPhase.Done);
        if (baseline is null)
        {
            await BaselineAsync(session, tip, cancellationToken).ConfigureAwait(false);
        }
        else if (baseline.Status != ExperimentStatus.Keep)
        {
            _ledger.FinishRun(run.Tag, _time.GetUtcNow());
            throw new ResearchException(
                $"the baseline of run {run.Tag} failed ({baseline.Error}); fix the code, commit, and start a new run (`--tag` another name)");
        }

        string reason;
        var agentFailures = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var proposals = session.Experiments(_ledger).Count(e => !e.IsBaseline);
            if (options.MaxExperiments is { } max && proposals >= max)
            {
                reason = $"reached --max-experiments {max}";
                break;
            }

            if (options.Duration is { } limit && _time.GetElapsedTime(started) >= limit)
            {
                reason = $"reached --hours {limit.TotalHours.ToString("0.##", CultureInfo.InvariantCulture)}";
                break;
            }

            var decided = await ProposeAndRunAsync(session, cancellationToken).ConfigureAwait(false);
            agentFailures = decided.Status == ExperimentStatus.Crash && decided.ExitCode is null ? agentFailures + 1 : 0;
            if (agentFailures >= options.MaxConsecutiveAgentFailures)
            {
                throw new ResearchException(
                    $"the {_proposer.Name} proposer failed {agentFailures} times in a row (last: {decided.Error}); fix the agent and run again to resume");
            }
        }

        _ledger.FinishRun(run.Tag, _time.GetUtcNow());
        _observer.OnMessage($"stopped: {reason}");
        return Summary(session, reason);
    }

    /// <summary>Finds the run to continue, or creates one (branch from the user's HEAD).</summary>
    private async Task<(RunRecord Run, bool Resumed)> OpenRunAsync(string? tag, CancellationToken cancellationToken)
    {
        if (tag is not null)
        {
            var existing = _ledger.GetRun(tag);
            if (existing is not null)
            {
                _ledger.ReopenRun(tag);
                return (existing, true);
            }
        }
        else if (_ledger.Runs().LastOrDefault() is { FinishedAt: null } open)
        {
            return (open, true);
        }

        tag ??= await UniqueTagAsync(cancellationToken).ConfigureAwait(false);
        var branch = GitWorkspace.BranchPrefix + tag;
        if (await _workspace.BranchTipAsync(branch, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new WorkspaceException(
                $"branch {branch} exists but the ledger has no run named {tag}; choose another --tag or delete the branch (`git branch -D {branch}`)");
        }

        var head = await _workspace.HeadAsync(cancellationToken).ConfigureAwait(false);
        await _workspace.CreateBranchAsync(branch, head, cancellationToken).ConfigureAwait(false);
        var run = new RunRecord(tag, branch, head, _spec.Objective.Metric, _spec.Objective.Direction.ToString().ToLowerInvariant(), _time.GetUtcNow(), null);
        _ledger.CreateRun(run);
        return (run, false);
    }

    private async Task<string> UniqueTagAsync(CancellationToken cancellationToken)
    {
        var today = _time.GetUtcNow().ToString("MMMdd", CultureInfo.InvariantCulture).ToLowerInvariant();
        for (var i = 1; ; i++)
        {
            var tag = i == 1 ? today : $"{today}-{i}";
            if (_ledger.GetRun(tag) is null
                && await _workspace.BranchTipAsync(GitWorkspace.BranchPrefix + tag, cancellationToken).ConfigureAwait(false) is null)
            {
                return tag;
            }
        }
    }

    /// <summary>Brings unfinished rows of a killed session to a consistent state.</summary>
    private async Task RecoverAsync(Session session, string tip, CancellationToken cancellationToken)
    {
        var unfinished = session.Experiments(_ledger).Where(e => e.Phase != ExperimentPhase.Done).ToList();
        foreach (var e in unfinished)
        {
            // A harness killed with -9 leaves its agent or run going in their own process groups.
            foreach (var log in new[] { "agent.log", "run.log" })
            {
                var pidFile = ProcessGroup.PidFile(Path.Combine(RunDirectory(e), log));
                if (await ProcessGroup.KillLeftoverAsync(pidFile, session.Worktree.Path).ConfigureAwait(false))
                {
                    _observer.OnMessage($"killed the {Path.GetFileNameWithoutExtension(log)} process group left by the interrupted session");
                }
            }
        }

        // Whatever a killed session left half-done in the worktree goes; the branch is the truth.
        await session.Worktree.ResetAsync(tip, cancellationToken).ConfigureAwait(false);
        foreach (var e in unfinished)
        {
            if (e.Phase == ExperimentPhase.Proposing)
            {
                // Nothing was committed; the half-made change died with the worktree reset.
                _ledger.Delete(e.Id);
                _observer.OnMessage($"experiment {e.Seq} was interrupted while proposing; proposing afresh");
            }
            else if (!e.IsBaseline && e.CandidateCommit == tip && e.Metric is not null)
            {
                // The branch moved (keep) before the ledger said so: finish recording the keep.
                Finish(session, e with { Status = ExperimentStatus.Keep });
                _observer.OnMessage($"experiment {e.Seq} was kept just before the interruption; recorded");
            }
            else if (e.Attempts >= 2)
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
                await RunCandidateAsync(session, e, checkedOut: false, cancellationToken).ConfigureAwait(false);
            }
        }

        // Re-read: a candidate re-run above may have been kept and moved the branch.
        tip = await _workspace.BranchTipAsync(session.Run.Branch, cancellationToken).ConfigureAwait(false) ?? tip;
        var best = session.Best(_ledger);
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

    private RunSummary Summary(Session session, string reason)
    {
        var all = session.Experiments(_ledger);
        return new RunSummary(_ledger.GetRun(session.Run.Tag)!, all.First(e => e.IsBaseline), session.Best(_ledger)!, all, reason);
    }

    private string RunDirectory(ExperimentRecord experiment) =>
        Path.Combine(_workspace.StateDirectory, "runs", experiment.Id.ToString(CultureInfo.InvariantCulture));

    private static string? LastCrashTail(IReadOnlyList<ExperimentRecord> history)
    {
        var crash = history.LastOrDefault(e => e.Status is ExperimentStatus.Crash or ExperimentStatus.Timeout && e.LogPath is not null);
        if (crash is null || !File.Exists(crash.LogPath))
        {
            return null;
        }

        return ExperimentRunner.Tail(File.ReadAllText(crash.LogPath), 50);
    }

    private static string CommitMessage(int seq, string description) => $"autoresearch: experiment {seq}: {description}";

    /// <summary>The run being worked on, its worktree, and what its read-only files must look like.</summary>
    private sealed record Session(RunRecord Run, Worktree Worktree)
    {
        public IReadOnlyList<string>? ReadOnlyFiles { get; set; }

        public IReadOnlyDictionary<string, string>? ReadOnly { get; set; }

        public IReadOnlyList<ExperimentRecord> Experiments(Ledger ledger) => ledger.Experiments(Run.Tag);

        /// <summary>The last kept experiment: the branch tip.</summary>
        public ExperimentRecord? Best(Ledger ledger) =>
            Experiments(ledger).LastOrDefault(e => e.Phase == ExperimentPhase.Done && e.Status == ExperimentStatus.Keep);
    }

    private sealed class NullObserver : IResearchObserver;
}
