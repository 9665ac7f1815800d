using System.Diagnostics;
using System.Security.Cryptography;
using AutoResearch.Core;
using AutoResearch.Core.Acceptance;
using AutoResearch.Core.Proposers;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;

namespace AutoResearch.Swarm.Worker;

/// <summary>
/// The real engine: a clone of the project (the worker's <c>--workspace</c>), Core's worktree, proposer and runner. The head is
/// rebuilt by applying the chain's patches to the base commit (one commit each, cached); an exploration measures the head once
/// per head, lets the proposer edit, guards the diff against the editable scope, runs the candidate and decides with Core's
/// acceptance rule (confirming borderline wins at fresh seeds). Every run, exploration and verification alike, runs a head built
/// from others' patches, so every run goes through <see cref="OthersCode.Spec"/> (bubblewrap, scored as the spec asks). A trusted
/// verifier given a holdout spec (<see cref="OthersCode.Holdout"/>) also scores parent and candidate on it when the coordinator asks.
/// One engine per parallel slot (each has its own worktree).
/// </summary>
/// <param name="spec">The project's spec, as the workspace says; the engine sandboxes it.</param>
/// <param name="workspace">The worker's clone of the project.</param>
/// <param name="proposer">The worker's own proposer.</param>
/// <param name="slot">This engine's slot (its worktree).</param>
/// <param name="environment">Extra variables for every run.</param>
/// <param name="holdout">For a trusted verifier: the spec that scores on the owner's private holdout; null otherwise.</param>
/// <param name="proposalSalt">Makes this worker's proposals its own (e.g. from its key): workers on one head try different changes.</param>
/// <param name="swarmSigma">
/// The noise σ the coordinator decides with (<see cref="SwarmWorker.Sigma"/>), null while unknown: the local rule claims only
/// what the coordinator would keep. Without it, the spec's <c>[acceptance] sigma</c>, else 0.
/// </param>
public sealed class GitEngine(
    ResearchSpec spec,
    GitWorkspace workspace,
    IProposer proposer,
    int slot,
    IReadOnlyDictionary<string, string?>? environment = null,
    ResearchSpec? holdout = null,
    int proposalSalt = 0,
    Func<double?>? swarmSigma = null) : IExperimentEngine
{
    private readonly ExperimentRunner _runner = new(OthersCode.Spec(spec), environment);
    private readonly ExperimentRunner? _holdout = holdout is null ? null : new(OthersCode.Spec(holdout), environment);
    private readonly Dictionary<long, string> _commits = [];
    private readonly Dictionary<(long Head, int Seed), double> _parents = [];
    private Worktree? _worktree;
    private long _experiment;

    /// <summary>
    /// This slot's explorations so far, oldest first, the first head it measured as the baseline: what its proposer learns
    /// from. Without it a search proposer proposes the same change on every lease, and every worker the same one.
    /// </summary>
    private readonly List<ExperimentRecord> _history = [];

    public async Task<Exploration> ExploreAsync(HeadSnapshot head, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(head);
        var (worktree, commit) = await HeadAsync(head, cancellationToken).ConfigureAwait(false);
        var runDirectory = RunDirectory();
        var runs = 0;
        if (!_parents.TryGetValue((head.Sequence, seed), out var parent))
        {
            var baseline = await _runner.RunAsync(worktree.Path, Path.Combine(runDirectory, "parent"), ++_experiment, seed, cancellationToken: cancellationToken).ConfigureAwait(false);
            runs++;
            if (baseline.Metric is not { } p)
            {
                return new Exploration(false, "crash", null, "the head itself did not produce a metric here", null, null, Digest(baseline.LogPath), runs);
            }

            _parents[(head.Sequence, seed)] = parent = p;
        }

        var record = new ExperimentRecord
        {
            Tag = "swarm",
            Seq = (int)++_experiment,
            Phase = ExperimentPhase.Running,
            ParentCommit = commit,
            Proposer = proposer.Name,
            StartedAt = DateTimeOffset.UtcNow,
            Seed = seed,
        };
        var best = record with { Seq = 0, Metric = parent, Status = ExperimentStatus.Keep, Phase = ExperimentPhase.Done, CandidateCommit = commit };
        if (_history.Count == 0)
        {
            _history.Add(best);
        }

        var proposal = await proposer.ProposeAsync(new ProposalContext(ProposerSpec, worktree.Path, runDirectory, record, best, [.. _history], null), cancellationToken)
            .ConfigureAwait(false);
        var change = await worktree.CommitChangesAsync(commit, proposal.Description, cancellationToken).ConfigureAwait(false);
        if (!proposal.Succeeded || change is null)
        {
            return new Exploration(false, "discard", null, proposal.Description + (proposal.Error is { } e ? $" ({e})" : " (no change)"), parent, null, "", runs);
        }

        var exploration = await RunCandidateAsync(worktree, change, proposal.Description, parent, seed, runDirectory, runs, cancellationToken).ConfigureAwait(false);
        _history.Add(record with
        {
            Phase = ExperimentPhase.Done,
            CandidateCommit = change.Commit,
            Description = proposal.Description,
            Metric = exploration.CandidateMetric,
            Status = exploration.Status switch
            {
                "keep" => ExperimentStatus.Keep,
                "crash" => ExperimentStatus.Crash,
                "timeout" => ExperimentStatus.Timeout,
                "rejected" => ExperimentStatus.Rejected,
                _ => ExperimentStatus.Discard,
            },
            FinishedAt = DateTimeOffset.UtcNow,
        });
        return exploration;
    }

    /// <summary>
    /// The spec this slot's proposer sees: the project's, with a seed of this worker and slot, so that workers on one head
    /// propose different changes (runs get the lease's seed, never this one).
    /// </summary>
    private ResearchSpec ProposerSpec => spec with { Run = spec.Run with { Seed = unchecked(spec.Run.Seed + proposalSalt + (slot * 7919)) } };

    /// <summary>Runs <paramref name="change"/> (confirming a borderline win at fresh seeds) and decides with Core's acceptance rule.</summary>
    private async Task<Exploration> RunCandidateAsync(
        Worktree worktree, CommittedChange change, string description, double parent, int seed, string runDirectory, int runs, CancellationToken cancellationToken)
    {
        if (change.ChangedPaths.FirstOrDefault(p => !spec.Scope.IsEditable(p)) is { } outside)
        {
            return new Exploration(false, "rejected", null, $"{description} (edited read-only {outside})", parent, null, "", runs);
        }

        var values = new List<double>();
        RunResult? first = null;
        var verdict = new Verdict(VerdictOutcome.Confirm, 0, 0, "");
        while (verdict.Outcome == VerdictOutcome.Confirm)
        {
            var result = await _runner.RunAsync(worktree.Path, Path.Combine(runDirectory, $"run{values.Count}"), _experiment, seed + values.Count,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            runs++;
            first ??= result;
            if (result.Metric is not { } m)
            {
                return new Exploration(false, result.TimedOut ? "timeout" : "crash", change.Patch, description, parent, null, Digest(result.LogPath), runs);
            }

            values.Add(m);
            verdict = AcceptanceRule.Decide(spec.Acceptance, spec.Objective, swarmSigma?.Invoke() ?? spec.Acceptance.Sigma ?? 0, parent, values, AcceptanceRule.IsNetDeletion(change.Patch));
        }

        var keep = verdict.Outcome == VerdictOutcome.Keep;
        return new Exploration(keep, keep ? "keep" : "discard", change.Patch, description, parent, values[0], Digest(first!.LogPath), runs);
    }

    public async Task<Verification> VerifyAsync(HeadSnapshot head, string patch, int seed, bool holdout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(head);
        var (worktree, commit) = await HeadAsync(head, cancellationToken).ConfigureAwait(false);
        var runDirectory = RunDirectory();
        // The head at this seed is the same code and seed for every claim on it: run it once per head.
        var runs = 1;
        if (!_parents.TryGetValue((head.Sequence, seed), out var parentValue))
        {
            var parentRun = await _runner.RunAsync(worktree.Path, Path.Combine(runDirectory, "parent"), ++_experiment, seed, cancellationToken: cancellationToken).ConfigureAwait(false);
            runs++;
            if (parentRun.Metric is { } p)
            {
                _parents[(head.Sequence, seed)] = parentValue = p;
            }
        }

        double? parent = _parents.ContainsKey((head.Sequence, seed)) ? parentValue : null;
        var scoreHoldout = holdout && _holdout is not null;
        double? holdoutParent = null;
        if (scoreHoldout)
        {
            holdoutParent = (await _holdout!.RunAsync(worktree.Path, Path.Combine(runDirectory, "holdout-parent"), _experiment, seed, cancellationToken: cancellationToken)
                .ConfigureAwait(false)).Metric;
            runs++;
        }

        if (!await ApplyAsync(worktree.Path, commit, patch, $"the patch of claim to verify on head {head.Sequence}", cancellationToken).ConfigureAwait(false))
        {
            return new Verification(false, parent, null, null, null, "", runs - 1);
        }

        var candidate = await _runner.RunAsync(worktree.Path, Path.Combine(runDirectory, "candidate"), _experiment, seed, cancellationToken: cancellationToken).ConfigureAwait(false);
        double? holdoutCandidate = null;
        if (scoreHoldout)
        {
            holdoutCandidate = (await _holdout!.RunAsync(worktree.Path, Path.Combine(runDirectory, "holdout-candidate"), _experiment, seed, cancellationToken: cancellationToken)
                .ConfigureAwait(false)).Metric;
            runs++;
        }

        await worktree.ResetAsync(commit, cancellationToken).ConfigureAwait(false);
        // The holdout pair only when both scored: the coordinator counts a trusted holdout only as a pair.
        var pair = holdoutParent is not null && holdoutCandidate is not null;
        return new Verification(true, parent, candidate.Metric, pair ? holdoutParent : null, pair ? holdoutCandidate : null, Digest(candidate.LogPath), runs);
    }

    public async Task<Measurement> MeasureAsync(HeadSnapshot head, int seed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(head);
        var (worktree, _) = await HeadAsync(head, cancellationToken).ConfigureAwait(false);
        var run = await _runner.RunAsync(worktree.Path, Path.Combine(RunDirectory(), "head"), ++_experiment, seed, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (run.Metric is { } metric)
        {
            // The same run serves this slot's explorations and verifications on this head at this seed.
            _parents[(head.Sequence, seed)] = metric;
        }

        return new Measurement(run.Metric, Digest(run.LogPath), 1);
    }

    /// <summary>The worktree checked out at <paramref name="head"/>, building its commit from the chain when new.</summary>
    private async Task<(Worktree Worktree, string Commit)> HeadAsync(HeadSnapshot head, CancellationToken cancellationToken)
    {
        _worktree ??= await workspace.WorktreeAsync("swarm", head.BaseCommit, slot, cancellationToken).ConfigureAwait(false);
        _commits.TryAdd(0, head.BaseCommit);
        var from = _commits.Keys.Where(k => k <= head.Sequence).Max();
        var commit = _commits[from];
        for (var seq = from + 1; seq <= head.Sequence; seq++)
        {
            await _worktree.ResetAsync(commit, cancellationToken).ConfigureAwait(false);
            var link = head.Chain[(int)seq - 1];
            if (!await ApplyAsync(_worktree.Path, commit, link.Patch, $"chain patch #{seq}", cancellationToken).ConfigureAwait(false))
            {
                throw new ResearchException($"chain patch #{seq} does not apply to this clone at {commit}; is --workspace a clone of the project at base {head.BaseCommit}?");
            }

            commit = (await _worktree.CommitChangesAsync(commit, $"swarm chain #{seq}", cancellationToken).ConfigureAwait(false))?.Commit ?? commit;
            _commits[seq] = commit;
        }

        await _worktree.ResetAsync(commit, cancellationToken).ConfigureAwait(false);
        return (_worktree, commit);
    }

    private string RunDirectory() =>
        Path.Combine(workspace.StateDirectory, "swarm", $"slot{slot}", $"{DateTimeOffset.UtcNow:yyyyMMddHHmmssfff}-{_experiment}");

    /// <summary>
    /// Applies a patch the coordinator served to the worktree at <paramref name="parent"/>, after reading it with git as the
    /// coordinator does (<see cref="PatchEffect"/>): false when git does not apply it (stale); a patch that makes or changes a
    /// symlink or submodule, leaves the workspace or touches a file that is not editable is never applied, whoever sent it.
    /// </summary>
    /// <exception cref="ResearchException">The patch is one no honest coordinator serves.</exception>
    private async Task<bool> ApplyAsync(string directory, string parent, string patch, string what, CancellationToken cancellationToken)
    {
        var effect = await PatchEffect.ReadAsync(directory, parent, patch, cancellationToken).ConfigureAwait(false);
        if (!effect.Applies)
        {
            return false;
        }

        if (effect.Problems(spec.Scope) is { Count: > 0 } problems)
        {
            throw new ResearchException(
                $"the coordinator served {what}, which this worker refuses to apply: {string.Join("; ", problems)}; the coordinator is broken or hostile, stop using it");
        }

        // Neutral like every git call of the harness: the clone's config must not make applying a patch run anything.
        using var git = Process.Start(NeutralGit.StartInfo(directory, ["apply", .. PatchEffect.ApplyOptions, "-"]))
            ?? throw new ResearchException("cannot start git; install git");
        var stdout = git.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = git.StandardError.ReadToEndAsync(cancellationToken);
        await git.StandardInput.WriteAsync(patch.AsMemory(), cancellationToken).ConfigureAwait(false);
        git.StandardInput.Close();
        await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
        await git.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return git.ExitCode == 0;
    }

    private static string Digest(string? path) =>
        path is not null && File.Exists(path) ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))) : new string('0', 64);
}
