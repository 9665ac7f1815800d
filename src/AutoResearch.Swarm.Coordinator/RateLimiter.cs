using System.Collections.Concurrent;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// A token bucket per key (rate r per second, up to <c>burst</c> tokens), in this coordinator's memory: behind a load balancer
/// each instance limits on its own, which bounds a key at r times the number of instances. A bucket that has refilled is the
/// same as none, so such buckets are dropped now and then: memory holds only the keys seen in the last burst/r seconds,
/// however many keys (valid signatures cost nothing to make) ever knock.
/// </summary>
internal sealed class RateLimiter(double perSecond, double burst, TimeProvider time)
{
    /// <summary>Buckets are swept after this many takes.</summary>
    private const int SweepEvery = 1024;

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private int _takes;

    /// <summary>How many buckets are held now (tests: memory stays bounded).</summary>
    public int Count => _buckets.Count;

    /// <summary>Takes one token for <paramref name="key"/>; false when its bucket is empty.</summary>
    public bool TryTake(string key) => TryTake(key, out _);

    /// <summary>Takes one token for <paramref name="key"/>; false when its bucket is empty, with the wait until the next token.</summary>
    public bool TryTake(string key, out TimeSpan retryAfter)
    {
        if (Interlocked.Increment(ref _takes) % SweepEvery == 0)
        {
            Sweep();
        }

        var bucket = _buckets.GetOrAdd(key, _ => new Bucket(burst, time.GetTimestamp()));
        lock (bucket)
        {
            Refill(bucket);
            if (bucket.Tokens < 1)
            {
                retryAfter = TimeSpan.FromSeconds((1 - bucket.Tokens) / perSecond);
                return false;
            }

            bucket.Tokens -= 1;
            retryAfter = TimeSpan.Zero;
            return true;
        }
    }

    /// <summary>Drops every bucket that has refilled.</summary>
    public void Sweep()
    {
        foreach (var entry in _buckets)
        {
            bool full;
            lock (entry.Value)
            {
                Refill(entry.Value);
                full = entry.Value.Tokens >= burst;
            }

            // Only this very bucket: a request that took it from the map just now may spend one token from it after it is
            // gone, which gives its key at most one extra request.
            if (full)
            {
                _buckets.TryRemove(entry);
            }
        }
    }

    private void Refill(Bucket bucket)
    {
        var now = time.GetTimestamp();
        var elapsed = time.GetElapsedTime(bucket.Stamp, now).TotalSeconds;
        bucket.Tokens = Math.Min(burst, bucket.Tokens + (elapsed * perSecond));
        bucket.Stamp = now;
    }

    private sealed class Bucket(double tokens, long stamp)
    {
        public double Tokens { get; set; } = tokens;

        public long Stamp { get; set; } = stamp;
    }
}
