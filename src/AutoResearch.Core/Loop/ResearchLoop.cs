using System.Globalization;
using System.Text.Json;
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

    /// <summary>The user's repository as the harness left it; checked and restored after every phase that ran foreign code.</summary>
    private RepositoryGuard? _guard;

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

        if (_spec.Run.Executor == ExecutorKind.Slurm && !Running.Slurm.SlurmClient.Installed)
        {
            throw new SpecException(_spec.Source, [
                "[run] executor = \"slurm\" but sbatch is not on PATH: run where Slurm's client commands are (a login node), or set executor = \"local\""]);
        }

        var started = _time.GetTimestamp();
        await _workspace.EnsureExcludedAsync(cancellationToken).ConfigureAwait(false);
        await _workspace.EnsureCleanAsync(cancellationToken).ConfigureAwait(false);
        var resuming = options.Tag is { } wanted ? _ledger.GetRun(wanted) is not null : _ledger.Runs().LastOrDefault() is { FinishedAt: null };
        if (!resuming)
        {
            // Before anything is made or run: a glob that matches nothing would only be noticed after the baseline, if at all.
            var head = await _workspace.HeadAsync(cancellationToken).ConfigureAwait(false);
            var unmatched = _spec.Scope.Unmatched([.. await _workspace.FilesAsync(head, cancellationToken).ConfigureAwait(false)]);
            if (unmatched.Count > 0)
            {
                throw new SpecException(_spec.Source, [.. unmatched.Select(g =>
                    $"[scope] editable glob \"{g}\" matches no file of your commit {head[..7]}; fix it (globs are relative to the workspace root, e.g. \"train.py\" or \"src/**/*.py\") or commit the file first")]);
            }

            await ReportUncommittedAsync(cancellationToken).ConfigureAwait(false);
        }

        // A wrong [run] inputs glob is the user's to fix before a run or a branch is made.
        var readOnlyInputs = await ResolveInputsAsync(cancellationToken).ConfigureAwait(false);
        var (run, resumed) = await OpenRunAsync(options.Tag, cancellationToken).ConfigureAwait(false);
        var tip = await _workspace.BranchTipAsync(run.Branch, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkspaceException($"branch {run.Branch} of run {run.Tag} is gone; start a new run with another --tag");
        var worktree = await _workspace.WorktreeAsync(run.Tag, tip, 0, cancellationToken).ConfigureAwait(false);
        _observer.OnRunStarted(run, resumed, worktree.Path);

        var cores = Environment.ProcessorCount;
        var session = new Session(run, new Slot(worktree, SlotFor(0, options.Parallel, cores)));
        session.Load(_ledger.Experiments(run.Tag));
        _guard = await RepositoryGuard.CaptureAsync(_workspace, cancellationToken).ConfigureAwait(false);
        await _guard.AddWorktreeAsync(worktree.Path, cancellationToken).ConfigureAwait(false);
        var inputsKey = "inputs:" + run.Tag;
        if (_ledger.GetMeta(inputsKey) is { } stored)
        {
            session.Inputs = JsonSerializer.Deserialize<List<string>>(stored)?.ToHashSet(StringComparer.Ordinal) ?? [];
        }
        else if (resumed)
        {
            // A run begun by a version that did not record its inputs: what the worktree holds now is kept, never deleted.
            session.Inputs = await worktree.IgnoredFilesAsync(cancellationToken).ConfigureAwait(false);
        }

        // Read-only inputs are in place (and kept by every clean) before anything runs, recovered experiments included.
        session.ReadOnlyInputs = readOnlyInputs;
        session.Inputs = session.Inputs.Union(session.ReadOnlyInputs, StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);
        ProvideInputs(session, worktree);
        await RecoverAsync(session, tip, cancellationToken).ConfigureAwait(false);
        await SetupAsync(worktree, cancellationToken).ConfigureAwait(false);
        if (_ledger.GetMeta(inputsKey) is null)
        {
            // What the workspace holds, ignored by git, before the research begins (prepared data) stays for every run;
            // every other ignored file is what an agent or a run left behind, and is deleted before each run, as are files
            // that match [run] outputs even when setup wrote them.
            var prepared = (await worktree.IgnoredFilesAsync(cancellationToken).ConfigureAwait(false)).Where(f => !_spec.Run.IsOutput(f));
            session.Inputs = session.Inputs.Union(prepared, StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);
            _ledger.SetMeta(inputsKey, JsonSerializer.Serialize(session.Inputs.Order(StringComparer.Ordinal)));
        }

        var baseline = session.Experiments().FirstOrDefault(e => e.IsBaseline && e.Phase == ExperimentPhase.Done);
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
            var path = await _workspace.WorktreeAsync(run.Tag, session.BestCommit(), i, cancellationToken).ConfigureAwait(false);
            CopyPrepared(session, worktree, path);
            slots.Add(new Slot(path, SlotFor(i, options.Parallel, cores)));
            await _guard.AddWorktreeAsync(path.Path, cancellationToken).ConfigureAwait(false);
        }

        var reason = await RunSlotsAsync(session, slots, options, started, cancellationToken).ConfigureAwait(false);
        _ledger.FinishRun(run.Tag, _time.GetUtcNow());
        _observer.OnMessage($"stopped: {reason}");
        var summary = Summary(session, reason);
        _observer.OnRunFinished(summary);
        return summary;
    }

    /// <summary>Finds the run to continue, or creates one (branch from the user's HEAD).</summary>
    private async Task<(RunRecord Run, bool Resumed)> OpenRunAsync(string? tag, CancellationToken cancellationToken)
    {
        if (tag is not null)
        {
            var existing = _ledger.GetRun(tag);
            if (existing is not null)
            {
                EnsureSealed(existing);
                _ledger.ReopenRun(tag);
                return (existing, true);
            }
        }
        else if (_ledger.Runs().LastOrDefault() is { FinishedAt: null } open)
        {
            EnsureSealed(open);
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

    /// <summary>
    /// Refuses to resume a run whose ledger rows fail their seals: the harness's memory starts from those rows, so rows changed
    /// outside autoresearch between sessions cannot be it. The run is left as it was (not reopened).
    /// </summary>
    private void EnsureSealed(RunRecord run)
    {
        if (_ledger.IsSealing && _ledger.Verify(run.Tag) is { Count: > 0 } broken)
        {
            throw new ResearchException(
                $"the ledger {_ledger.Path} fails its check for run {run.Tag}: {string.Join("; ", broken.Take(3))}{(broken.Count > 3 ? $"; and {broken.Count - 3} more" : "")}. " +
                $"Run {run.Tag} cannot be resumed from it (branch {run.Branch} keeps its commits)");
        }
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
        var all = session.Experiments();
        return new RunSummary(_ledger.GetRun(session.Run.Tag)!, all.First(e => e.IsBaseline), session.Best()!, all, reason);
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

    /// <summary>Up to five paths, then how many more.</summary>
    private static string Shown(IReadOnlyList<string> paths) =>
        string.Join(", ", paths.Take(5)) + (paths.Count > 5 ? $" and {paths.Count - 5} more" : "");

    private static string CommitMessage(int seq, string description) => $"autoresearch: experiment {seq}: {description}";

    /// <summary>
    /// The run being worked on, its main slot (slot 0, where the baseline and resumed experiments run), what its read-only
    /// files must look like, and the harness's own record of its experiments: the truth every decision reads.
    /// </summary>
    private sealed record Session(RunRecord Run, Slot Main)
    {
        private readonly Dictionary<long, ExperimentRecord> _records = [];
        private readonly Lock _gate = new();

        public IReadOnlyList<string>? ReadOnlyFiles { get; set; }

        public IReadOnlyDictionary<string, string>? ReadOnly { get; set; }

        /// <summary>The files <c>[run] inputs</c> names, copied from the user's checkout into every worktree (relative paths).</summary>
        public IReadOnlyList<string> ReadOnlyInputs { get; set; } = [];

        /// <summary>The ignored files that every run starts with (the workspace's prepared inputs), relative to a worktree.</summary>
        public IReadOnlySet<string> Inputs { get; set; } = new HashSet<string>();

        /// <summary>Takes the ledger's rows as the truth: at the start of a session, after the ledger passed its check.</summary>
        public void Load(IEnumerable<ExperimentRecord> experiments)
        {
            lock (_gate)
            {
                _records.Clear();
                foreach (var e in experiments)
                {
                    _records[e.Id] = e;
                }
            }
        }

        public void Remember(ExperimentRecord experiment)
        {
            lock (_gate)
            {
                _records[experiment.Id] = experiment;
            }
        }

        public void Forget(long id)
        {
            lock (_gate)
            {
                _records.Remove(id);
            }
        }

        /// <summary>The run's experiments in order, the baseline first, as the harness recorded them.</summary>
        public IReadOnlyList<ExperimentRecord> Experiments()
        {
            lock (_gate)
            {
                return _records.Values.OrderBy(e => e.Seq).ThenBy(e => e.Id).ToList();
            }
        }

        /// <summary>The last kept experiment: the branch tip. Kept in the order they were decided, which with parallel slots need not be their order.</summary>
        public ExperimentRecord? Best() =>
            Experiments().Where(e => e.Phase == ExperimentPhase.Done && e.Status == ExperimentStatus.Keep)
                .OrderBy(e => e.FinishedAt).ThenBy(e => e.Id).LastOrDefault();

        /// <summary>The commit of <see cref="Best"/>.</summary>
        public string BestCommit() =>
            Best() is { } best ? best.CandidateCommit ?? best.ParentCommit : throw new InvalidOperationException("no baseline");
    }

    private sealed class NullObserver : IResearchObserver;
}
