using System.Collections.Concurrent;
using AutoResearch.Core.Spec;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Simulator.Adversaries;

/// <summary>
/// A verifier that steals: it verifies honestly (so it is never caught as lazy), keeps every winning patch it was sent, and
/// claims it as its own on whatever head it explores next, where it still applies (the same head, or a newer one: the
/// same edit rebased), in another text (a tab after each file name, which git ignores), with honest metrics measured
/// there. It never claims anything else, so every claim of its that is accepted is a stolen credit.
/// </summary>
internal sealed class ThievingEngine(SyntheticObjective objective, ResearchSpec spec, TimeSpan runTime, int seed)
    : SyntheticEngine(objective, spec, runTime, seed)
{
    private readonly ConcurrentQueue<Loot> _loot = new();

    public override async Task<Verification> VerifyAsync(HeadSnapshot head, string patch, int seed, bool holdout, CancellationToken cancellationToken = default)
    {
        var verification = await base.VerifyAsync(head, patch, seed, holdout, cancellationToken).ConfigureAwait(false);
        if (verification is { Applies: true, ParentMetric: { } parent, CandidateMetric: { } candidate } && candidate < parent)
        {
            _loot.Enqueue(new Loot(head.Sequence, patch, parent, candidate, verification.LogDigest));
        }

        return verification;
    }

    public override async Task<Exploration> ExploreAsync(HeadSnapshot head, int seed, CancellationToken cancellationToken = default)
    {
        await Task.Delay(RunTime, cancellationToken).ConfigureAwait(false);
        var text = HeadText(head);
        while (_loot.TryDequeue(out var loot))
        {
            if (loot.Head == head.Sequence)
            {
                return new Exploration(true, "keep", Retext(loot.Patch), "a change of my own", loot.Parent, loot.Candidate, loot.Digest, 1);
            }

            if (SyntheticObjective.Apply(text, loot.Patch) is { } rebased && rebased != text)
            {
                // The chain moved on: the same edit, applied to the new head, measured honestly there.
                var parent = Objective.Measure(text, seed);
                var candidate = Objective.Measure(rebased, seed);
                if (candidate < parent)
                {
                    return new Exploration(true, "keep", Retext(loot.Patch), "a change of my own", parent, candidate, Digest(rebased, seed), 2);
                }
            }
        }

        return new Exploration(false, "discard", null, "nothing to steal", null, null, "", 1);
    }

    /// <summary>The same change in another text: a tab after the file names of the <c>---</c> and <c>+++</c> lines.</summary>
    internal static string Retext(string patch) =>
        string.Join('\n', patch.Split('\n').Select(l => l.StartsWith("--- ", StringComparison.Ordinal) || l.StartsWith("+++ ", StringComparison.Ordinal) ? l + "\t" : l));

    private sealed record Loot(long Head, string Patch, double Parent, double Candidate, string Digest);
}
