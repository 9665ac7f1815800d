using AutoResearch.Core.Workspace;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// The effects git has read, by (parent tree id, SHA-256 of the patch text), the least recently used dropped beyond
/// <see cref="Capacity"/>. A tree id and a text fix what git reads, so an entry never goes out of date; the bound only
/// keeps memory flat. Retries, replays and the same text claimed twice on one parent cost a lookup instead of git.
/// </summary>
internal sealed class EffectCache(int capacity)
{
    private readonly Dictionary<string, LinkedListNode<(string Key, PatchEffect Effect)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, PatchEffect Effect)> _recent = new();
    private readonly Lock _lock = new();

    /// <summary>The most effects kept (the default, 4,096, is a few MiB at most: an effect holds ids and paths, not contents).</summary>
    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be positive");

    public bool TryGet(string key, out PatchEffect effect)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recent.Remove(node);
                _recent.AddFirst(node);
                effect = node.Value.Effect;
                return true;
            }

            effect = null!;
            return false;
        }
    }

    public void Add(string key, PatchEffect effect)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var known))
            {
                _recent.Remove(known);
            }
            else if (_entries.Count >= Capacity)
            {
                var oldest = _recent.Last!;
                _recent.RemoveLast();
                _entries.Remove(oldest.Value.Key);
            }

            _entries[key] = _recent.AddFirst((key, effect));
        }
    }
}
