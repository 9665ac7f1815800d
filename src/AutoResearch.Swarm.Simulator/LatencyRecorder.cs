using System.Collections.Concurrent;
using System.Diagnostics;

namespace AutoResearch.Swarm.Simulator;

/// <summary>Latency samples per endpoint (method and path without ids or query), each with when it ended, with percentiles.</summary>
internal sealed class LatencyTable
{
    private readonly ConcurrentDictionary<string, ConcurrentBag<(double At, double Ms)>> _samples = new(StringComparer.Ordinal);
    private long _origin = Stopwatch.GetTimestamp();

    /// <summary>Counts time from now: samples taken before have negative times.</summary>
    public void Restart() => _origin = Stopwatch.GetTimestamp();

    public long Total => _samples.Values.Sum(b => (long)b.Count);

    public static string Endpoint(string method, string path) =>
        $"{method} {string.Join('/', path.Split('/').Select(p => p.All(char.IsAsciiDigit) && p.Length > 0 ? "{id}" : p))}";

    public void Add(string endpoint, double milliseconds) =>
        _samples.GetOrAdd(endpoint, _ => []).Add((Stopwatch.GetElapsedTime(_origin).TotalSeconds, milliseconds));

    /// <summary>Per endpoint: count, p50 and p99 in milliseconds, of the samples from <paramref name="fromSeconds"/> on.</summary>
    public IReadOnlyList<(string Endpoint, int Count, double P50, double P99)> Summary(double fromSeconds = double.NegativeInfinity) =>
        _samples.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv =>
        {
            var sorted = kv.Value.Where(v => v.At >= fromSeconds).Select(v => v.Ms).Order().ToArray();
            return (kv.Key, sorted.Length, Percentile(sorted, 0.50), Percentile(sorted, 0.99));
        }).Where(e => e.Length > 0).ToList();

    /// <summary>All endpoints together, from <paramref name="fromSeconds"/> on.</summary>
    public (int Count, double P50, double P99) Overall(double fromSeconds = double.NegativeInfinity)
    {
        var sorted = _samples.Values.SelectMany(b => b).Where(v => v.At >= fromSeconds).Select(v => v.Ms).Order().ToArray();
        return (sorted.Length, Percentile(sorted, 0.50), Percentile(sorted, 0.99));
    }

    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}

/// <summary>Times every HTTP exchange the virtual workers make, as the workers see it (queueing in this process included).</summary>
internal sealed class LatencyRecorder(HttpMessageHandler inner) : DelegatingHandler(inner)
{
    public LatencyTable Table { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Table.Add(LatencyTable.Endpoint(request.Method.Method, request.RequestUri!.AbsolutePath), Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
