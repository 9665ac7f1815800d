using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using AutoResearch.Core.Workspace;
using AutoResearch.Swarm.Coordinator.Storage;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// The git tree of every head of the chain, built in a scratch repository over the project's objects by applying the
/// chain's patches to the base commit (as workers do), and cached: the chain only grows, so a head's tree never changes.
/// Any coordinator over the same database rebuilds the same trees. Claims are read here against their parent's tree (most
/// without git: <see cref="DirectPatch"/>), and what is read is kept in an <see cref="EffectCache"/>.
/// </summary>
internal sealed class ChainTrees(ScratchRepository scratch, string baseCommit, SwarmDatabase db) : IDisposable
{
    private readonly ConcurrentDictionary<long, string> _trees = new() { [0] = baseCommit };
    private readonly SemaphoreSlim _building = new(1, 1);

    /// <summary>The effects read so far, by parent tree and patch text.</summary>
    private readonly EffectCache _effects = new(4096);

    /// <summary>How many patches were read without git and how many by git (cached effects not counted).</summary>
    public (long Direct, long ByGit) Reads => scratch.Reads;

    /// <summary>What <paramref name="patch"/> does on head <paramref name="parentSeq"/>, as git reads it (once per parent and text).</summary>
    public async Task<PatchEffect> ReadAsync(long parentSeq, string patch, CancellationToken cancellationToken)
    {
        var parent = await TreeAsync(parentSeq, cancellationToken).ConfigureAwait(false);
        var key = parent + ":" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(patch)));
        if (_effects.TryGet(key, out var known))
        {
            return known;
        }

        var effect = await scratch.ReadAsync(parent, patch, cancellationToken).ConfigureAwait(false);
        _effects.Add(key, effect);
        return effect;
    }

    /// <summary>
    /// Merges <paramref name="patches"/> on head <paramref name="headSeq"/>: in order, each that applies to the head alone (read
    /// as claims are, mostly without git) and touches no lines an earlier chosen one touches (by its hunk ranges, context
    /// included), until <paramref name="most"/> are chosen; then git applies the
    /// chosen ones together (one process group). When git refuses them together, they are applied one at a time, each on the
    /// tree the ones before it made, and any git refuses is left out. Returns the indexes of those merged and the one patch
    /// (zero context) that makes all of them on the head; null when fewer than two go together.
    /// </summary>
    public async Task<(IReadOnlyList<int> Applied, string Patch)?> CombineAsync(
        long headSeq, IReadOnlyList<string> patches, int most, CancellationToken cancellationToken)
    {
        var head = await TreeAsync(headSeq, cancellationToken).ConfigureAwait(false);
        var chosen = new List<int>();
        var touched = new List<(string Path, int From, int To)>();
        for (var i = 0; i < patches.Count && chosen.Count < most; i++)
        {
            var ranges = PatchRanges.Of(patches[i]);
            if (ranges.Count > 0 && !ranges.Any(r => touched.Any(t => t.Path == r.Path && r.From <= t.To && t.From <= r.To))
                && await ReadAsync(headSeq, patches[i], cancellationToken).ConfigureAwait(false) is { Applies: true, Entries.Count: > 0 })
            {
                chosen.Add(i);
                touched.AddRange(ranges);
            }
        }

        if (chosen.Count < 2)
        {
            return null;
        }

        var together = await scratch.ApplyAsync(head, string.Concat(chosen.Select(i => patches[i].EndsWith('\n') ? patches[i] : patches[i] + "\n")), cancellationToken)
            .ConfigureAwait(false);
        var tree = together is { Applies: true, Entries.Count: > 0 } ? together.Tree : null;
        if (tree is null)
        {
            var applied = new List<int>();
            tree = head;
            foreach (var i in chosen)
            {
                var effect = await scratch.ApplyAsync(tree, patches[i], cancellationToken).ConfigureAwait(false);
                if (effect is { Applies: true, Entries.Count: > 0 })
                {
                    tree = effect.Tree;
                    applied.Add(i);
                }
            }

            chosen = applied;
        }

        return chosen.Count < 2 ? null : (chosen, await scratch.DiffAsync(head, tree, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The tree (or, for head 0, the base commit) of head <paramref name="seq"/>.</summary>
    /// <exception cref="SwarmException">A chain patch does not apply: the database is not this project's chain.</exception>
    public async Task<string> TreeAsync(long seq, CancellationToken cancellationToken)
    {
        if (_trees.TryGetValue(seq, out var known))
        {
            return known;
        }

        await _building.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var from = _trees.Keys.Where(k => k <= seq).Max();
            var tree = _trees[from];
            var links = await db.ReadAsync(s => s.QueryAsync("SELECT seq, patch FROM chain WHERE seq > @a AND seq <= @b ORDER BY seq",
                r => (Seq: r.Long("seq"), Patch: r.Text("patch")), cancellationToken, ("@a", from), ("@b", seq)), cancellationToken).ConfigureAwait(false);
            foreach (var (link, patch) in links)
            {
                // Read by git, which writes the link's tree: claims on this head are read against it.
                var effect = await scratch.ApplyAsync(tree, patch, cancellationToken).ConfigureAwait(false);
                if (!effect.Applies)
                {
                    throw new SwarmException($"chain patch #{link} does not apply to head {link - 1} ({effect.Reason}); is the database this project's?", isUsageError: false);
                }

                _trees[link] = tree = effect.Tree;
            }

            return _trees.TryGetValue(seq, out var built) ? built
                : throw new SwarmException($"head {seq} is not in the chain", isUsageError: false);
        }
        finally
        {
            _building.Release();
        }
    }

    public void Dispose()
    {
        scratch.Dispose();
        _building.Dispose();
    }
}
