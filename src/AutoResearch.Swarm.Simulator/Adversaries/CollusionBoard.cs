using System.Collections.Concurrent;

namespace AutoResearch.Swarm.Simulator.Adversaries;

/// <summary>The colluding pair's side channel: the fabricator posts each fake claim, its partner looks it up when sent to verify it.</summary>
internal sealed class CollusionBoard
{
    private readonly ConcurrentDictionary<string, (double Parent, double Claimed)> _claims = new(StringComparer.Ordinal);

    public void Post(string patch, double parent, double claimed) => _claims[patch] = (parent, claimed);

    public bool TryGet(string patch, out (double Parent, double Claimed) claim) => _claims.TryGetValue(patch, out claim);
}
