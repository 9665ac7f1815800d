using System.Collections.Concurrent;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// A token bucket per key (rate r per second, burst 2r), in this coordinator's memory: behind a load balancer each instance
/// limits on its own, which bounds a key at r times the number of instances.
/// </summary>
internal sealed class RateLimiter(double perSecond, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Takes one token for <paramref name="key"/>; false when its bucket is empty.</summary>
    public bool TryTake(string key)
    {
        var bucket = _buckets.GetOrAdd(key, _ => new Bucket(2 * perSecond, time.GetTimestamp()));
        lock (bucket)
        {
            var now = time.GetTimestamp();
            var elapsed = time.GetElapsedTime(bucket.Stamp, now).TotalSeconds;
            bucket.Tokens = Math.Min(2 * perSecond, bucket.Tokens + (elapsed * perSecond));
            bucket.Stamp = now;
            if (bucket.Tokens < 1)
            {
                return false;
            }

            bucket.Tokens -= 1;
            return true;
        }
    }

    private sealed class Bucket(double tokens, long stamp)
    {
        public double Tokens { get; set; } = tokens;

        public long Stamp { get; set; } = stamp;
    }
}
