using System.Collections.Concurrent;
using System.Diagnostics;

namespace AutoResearch.Swarm.Simulator;

/// <summary>Times every HTTP exchange the virtual workers make, per endpoint (method and path without ids or query).</summary>
internal sealed class LatencyRecorder : DelegatingHandler
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<double>> _samples = new(StringComparer.Ordinal);

    public LatencyRecorder(HttpMessageHandler inner)
        : base(inner)
    {
    }

    public long Total => _samples.Values.Sum(b => (long)b.Count);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            var path = request.RequestUri!.AbsolutePath;
            var endpoint = $"{request.Method} {string.Join('/', path.Split('/').Select(p => p.All(char.IsAsciiDigit) && p.Length > 0 ? "{id}" : p))}";
            _samples.GetOrAdd(endpoint, _ => []).Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }

    /// <summary>Per endpoint: count, p50 and p99 in milliseconds.</summary>
    public IReadOnlyList<(string Endpoint, int Count, double P50, double P99)> Summary() =>
        _samples.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv =>
        {
            var sorted = kv.Value.Order().ToArray();
            return (kv.Key, sorted.Length, Percentile(sorted, 0.50), Percentile(sorted, 0.99));
        }).ToList();

    /// <summary>All endpoints together.</summary>
    public (int Count, double P50, double P99) Overall()
    {
        var sorted = _samples.Values.SelectMany(b => b).Order().ToArray();
        return (sorted.Length, Percentile(sorted, 0.50), Percentile(sorted, 0.99));
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}
