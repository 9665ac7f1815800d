using AutoResearch.Core.Spec;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Simulator.Adversaries;

/// <summary>Claims patches that break the boundaries, in turn: a read-only file, a symlink, a path escaping the workspace, an oversized patch.</summary>
internal sealed class SmugglingEngine(SyntheticObjective objective, ResearchSpec spec, TimeSpan runTime, int seed, int maxPatchBytes)
    : SyntheticEngine(objective, spec, runTime, seed)
{
    private int _turn;

    public override async Task<Exploration> ExploreAsync(HeadSnapshot head, int seed, CancellationToken cancellationToken = default)
    {
        var text = HeadText(head);
        var (patch, _) = Propose(text);
        var (smuggled, what) = (_turn++ % 4) switch
        {
            0 => (patch.Replace(SyntheticObjective.File, "prepare.txt", StringComparison.Ordinal), "edits the read-only prepare.txt"),
            1 => ($"diff --git a/{SyntheticObjective.File} b/{SyntheticObjective.File}\nnew file mode 120000\n--- /dev/null\n+++ b/{SyntheticObjective.File}\n@@ -0,0 +1 @@\n+/etc/passwd\n",
                "replaces params.txt with a symlink"),
            2 => (patch.Replace($"a/{SyntheticObjective.File}", "a/../../outside.txt", StringComparison.Ordinal)
                .Replace($"b/{SyntheticObjective.File}", "b/../../outside.txt", StringComparison.Ordinal), "writes outside the workspace"),
            _ => (patch + "+" + new string('x', maxPatchBytes) + "\n", "oversized patch"),
        };
        var parent = head.Chain.Count > 0 ? head.Chain[^1].Metric : 1.0;
        await Task.Delay(RunTime, cancellationToken).ConfigureAwait(false);
        return new Exploration(true, "keep", smuggled, what, parent, parent - (5 * Objective.Sigma), Digest(text, seed), 0);
    }
}
