using System.Globalization;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Workspace;

namespace AutoResearch.Core.Loop;

/// <summary>Parallel slots: N experiments at once, each in its own worktree, one ledger and one branch between them.</summary>
public sealed partial class ResearchLoop
{
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

                    best = session.Best() ?? throw new InvalidOperationException("no baseline");
                    experiment = InsertNext(session, new ExperimentRecord
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
        var proposals = session.Experiments().Count(e => !e.IsBaseline);
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

        /// <summary>Checks out <paramref name="commit"/> clean: untracked files and every ignored file not in <paramref name="inputs"/> deleted.</summary>
        public async Task CleanAsync(string commit, IReadOnlySet<string> inputs, CancellationToken cancellationToken)
        {
            Head = null;
            await Worktree.CleanAsync(commit, inputs, cancellationToken).ConfigureAwait(false);
            Head = commit;
        }

        /// <summary>Notes that the worktree now holds <paramref name="commit"/> (after a commit made in it).</summary>
        public void Holds(string? commit) => Head = commit;
    }
}
