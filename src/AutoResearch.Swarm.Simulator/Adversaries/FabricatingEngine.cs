using AutoResearch.Core.Spec;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Simulator.Adversaries;

/// <summary>
/// Never runs anything: every exploration is a "win" with a made-up metric (3 to 8 σ better than a guess at the head's).
/// With a <see cref="CollusionBoard"/>, it posts what it claimed so its partner can confirm it.
/// </summary>
internal sealed class FabricatingEngine(SyntheticObjective objective, ResearchSpec spec, TimeSpan runTime, int seed, CollusionBoard? board = null)
    : SyntheticEngine(objective, spec, runTime, seed)
{
    public override async Task<Exploration> ExploreAsync(HeadSnapshot head, int seed, CancellationToken cancellationToken = default)
    {
        var text = HeadText(head);
        var (patch, description) = Propose(text);
        var parent = head.Chain.Count > 0 ? head.Chain[^1].Metric : 1.0;
        var claimed = parent - (Objective.Sigma * (3 + (5 * Random.NextDouble())));
        board?.Post(patch, parent, claimed);
        // Pretend to have worked for one run's time, so the claim rate looks ordinary.
        await Task.Delay(RunTime, cancellationToken).ConfigureAwait(false);
        return new Exploration(true, "keep", patch, description, parent, claimed, Digest(text, seed), 0);
    }
}
