using System.Globalization;
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

        if (_spec.Run.Gpus.Count > 0 && options.Parallel > _spec.Run.Gpus.Count)
        {
            throw new SpecException("command line", [
                $"--parallel {options.Parallel} needs a GPU per slot, but [run] gpus lists {_spec.Run.Gpus.Count}; lower --parallel or list more gpus"]);
        }

        var started = _time.GetTimestamp();
        await _workspace.EnsureExcludedAsync(cancellationToken).ConfigureAwait(false);
        await _workspace.EnsureCleanAsync(cancellationToken).ConfigureAwait(false);
        var (run, resumed) = await OpenRunAsync(options.Tag, cancellationToken).ConfigureAwait(false);
        var tip = await _workspace.BranchTipAsync(run.Branch, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkspaceException($"branch {run.Branch} of run {run.Tag} is gone; start a new run with another --tag");
        var worktree = await _workspace.WorktreeAsync(run.Tag, tip, 0, cancellationToken).ConfigureAwait(false);
        _observer.OnRunStarted(run, resumed, worktree.Path);

        var cores = Environment.ProcessorCount;
        var session = new Session(run, new Slot(worktree, SlotResources.For(0, options.Parallel, _spec.Run.Gpus, cores)));
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

        var slots = new List<Slot> { session.Main };
        for (var i = 1; i < options.Parallel; i++)
        {
            var path = await _workspace.WorktreeAsync(run.Tag, session.BestCommit(_ledger), i, cancellationToken).ConfigureAwait(false);
            slots.Add(new Slot(path, SlotResources.For(i, options.Parallel, _spec.Run.Gpus, cores)));
        }

        var reason = await RunSlotsAsync(session, slots, options, started, cancellationToken).ConfigureAwait(false);
        _ledger.FinishRun(run.Tag, _time.GetUtcNow());
        _observer.OnMessage($"stopped: {reason}");
        return Summary(session, reason);
    }

    /// <summary>
    /// Runs proposals in every slot at once until a limit, each against the best at the moment it starts. Allocation of the
    /// next experiment (limits checked, sequence number taken) is atomic, so N slots never overshoot --max-experiments.
    /// The first slot to fail stops the others; their interrupted experiments resume like after Ctrl-C.
    /// </summary>
    private async Task<string> RunSlotsAsync(Session session, IReadOnlyList<Slot> slots, LoopOptions options, long started, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var gate = new Lock();
        string? reason = null;
        var agentFailures = 0;

        async Task SlotAsync(Slot slot)
        {
            while (true)
            {
                stop.Token.ThrowIfCancellationRequested();
                ExperimentRecord experiment;
                ExperimentRecord best;
                lock (gate)
                {
                    reason ??= LimitReached(session, options, started);
                    if (reason is not null)
                    {
                        return;
                    }

                    best = session.Best(_ledger) ?? throw new InvalidOperationException("no baseline");
                    experiment = _ledger.InsertNext(new ExperimentRecord
                    {
                        Tag = session.Run.Tag,
                        Seq = 0,
                        Phase = ExperimentPhase.Proposing,
                        ParentCommit = best.CandidateCommit ?? best.ParentCommit,
                        Proposer = _proposer.Name,
                        StartedAt = _time.GetUtcNow(),
                        Seed = _spec.Run.Seed,
                        Slot = slot.Resources.Index,
                    });
                }

                var decided = await ProposeAndRunAsync(session, slot, experiment, best, stop.Token).ConfigureAwait(false);
                int failures;
                lock (gate)
                {
                    agentFailures = decided.Status == ExperimentStatus.Crash && decided.ExitCode is null ? agentFailures + 1 : 0;
                    failures = agentFailures;
                }

                if (failures >= options.MaxConsecutiveAgentFailures)
                {
                    throw new ResearchException(
                        $"the {_proposer.Name} proposer failed {failures} times in a row (last: {decided.Error}); fix the agent and run again to resume");
                }
            }
        }

        var tasks = slots.Select(slot => Task.Run(async () =>
        {
            try
            {
                await SlotAsync(slot).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Not handled here: the first failing slot stops its siblings, then the failure surfaces below.
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }, CancellationToken.None)).ToList();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Report a sibling's real failure rather than the cancellation it caused.
            var failure = tasks.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).FirstOrDefault();
            if (failure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }

            throw;
        }

        return reason ?? "stopped";
    }

    private string? LimitReached(Session session, LoopOptions options, long started)
    {
        var proposals = session.Experiments(_ledger).Count(e => !e.IsBaseline);
        if (options.MaxExperiments is { } max && proposals >= max)
        {
            return $"reached --max-experiments {max}";
        }

        if (options.Duration is { } limit && _time.GetElapsedTime(started) >= limit)
        {
            return $"reached --hours {limit.TotalHours.ToString("0.##", CultureInfo.InvariantCulture)}";
        }

        return null;
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

    /// <summary>The run being worked on, its main slot (slot 0, where the baseline and resumed experiments run), and what its read-only files must look like.</summary>
    private sealed record Session(RunRecord Run, Slot Main)
    {
        public IReadOnlyList<string>? ReadOnlyFiles { get; set; }

        public IReadOnlyDictionary<string, string>? ReadOnly { get; set; }

        public IReadOnlyList<ExperimentRecord> Experiments(Ledger ledger) => ledger.Experiments(Run.Tag);

        /// <summary>The last kept experiment: the branch tip. Kept in the order they were decided, which with parallel slots need not be their order.</summary>
        public ExperimentRecord? Best(Ledger ledger) =>
            Experiments(ledger).Where(e => e.Phase == ExperimentPhase.Done && e.Status == ExperimentStatus.Keep)
                .OrderBy(e => e.FinishedAt).ThenBy(e => e.Id).LastOrDefault();

        /// <summary>The commit of <see cref="Best"/>.</summary>
        public string BestCommit(Ledger ledger) =>
            Best(ledger) is { } best ? best.CandidateCommit ?? best.ParentCommit : throw new InvalidOperationException("no baseline");
    }

    /// <summary>A parallel slot: its worktree, its resources, and the commit its worktree holds (to skip needless resets).</summary>
    private sealed class Slot(Worktree worktree, SlotResources resources)
    {
        public Worktree Worktree { get; } = worktree;

        public SlotResources Resources { get; } = resources;

        public string? Head { get; private set; }

        public async Task ResetAsync(string commit, CancellationToken cancellationToken)
        {
            Head = null;
            await Worktree.ResetAsync(commit, cancellationToken).ConfigureAwait(false);
            Head = commit;
        }

        /// <summary>Notes that the worktree now holds <paramref name="commit"/> (after a commit made in it).</summary>
        public void Holds(string? commit) => Head = commit;
    }

    private sealed class NullObserver : IResearchObserver;
}
