using AutoResearch.Core.Spec;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Simulator.Adversaries;

/// <summary>
/// Verifies without running: reports the head's last known metric as the parent and a plausible improvement for the candidate.
/// As a colluder (with a <see cref="CollusionBoard"/>) it repeats its partner's claimed numbers for its partner's patches and
/// verifies everything else honestly, to earn trust.
/// </summary>
internal sealed class LazyEngine(SyntheticObjective objective, ResearchSpec spec, TimeSpan runTime, int seed, CollusionBoard? board = null)
    : SyntheticEngine(objective, spec, runTime, seed)
{
    public override Task<Verification> VerifyAsync(HeadSnapshot head, string patch, int seed, bool holdout, CancellationToken cancellationToken = default)
    {
        if (board is null)
        {
            var parent = head.Chain.Count > 0 ? head.Chain[^1].Metric : 1.0;
            return Task.FromResult(new Verification(true, parent, parent - (3 * Objective.Sigma), null, null, "", 0));
        }

        return board.TryGet(patch, out var claim)
            ? Task.FromResult(new Verification(true, claim.Parent, claim.Claimed, null, null, "", 0))
            : base.VerifyAsync(head, patch, seed, holdout, cancellationToken);
    }
}
