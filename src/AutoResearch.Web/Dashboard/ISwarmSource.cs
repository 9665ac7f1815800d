using AutoResearch.Core.Spec;

namespace AutoResearch.Web.Dashboard;

/// <summary>
/// The swarm's side of the dashboard, supplied by the coordinator: with it, <see cref="DashboardEndpoints.MapDashboard"/>
/// adds the chain (with its progress chart), the shared experiment log, the leaderboard and the workers. Every text in
/// these records may come from untrusted workers; the pages encode it. Calls come from request threads at once.
/// </summary>
public interface ISwarmSource
{
    /// <summary>The objective's metric name (the chart's y axis).</summary>
    string Metric { get; }

    /// <summary>Which way the metric improves.</summary>
    Direction Direction { get; }

    /// <summary>A number that changes whenever the chain, the log, the leaderboard or the workers may have changed; polled, so cheap.</summary>
    ValueTask<long> VersionAsync(CancellationToken cancellationToken = default);

    /// <summary>The accepted changes, oldest first (a root entry at height 0 for the base, when the source has its metric).</summary>
    Task<IReadOnlyList<ChainEntry>> ChainAsync(CancellationToken cancellationToken = default);

    /// <summary>The latest <paramref name="limit"/> experiments of the shared log, newest first.</summary>
    Task<IReadOnlyList<SwarmExperiment>> LogAsync(int limit, CancellationToken cancellationToken = default);

    /// <summary>Contributors ranked, first place first.</summary>
    Task<IReadOnlyList<LeaderboardRow>> LeaderboardAsync(CancellationToken cancellationToken = default);

    /// <summary>The registered workers, in the order to show.</summary>
    Task<IReadOnlyList<WorkerRow>> WorkersAsync(CancellationToken cancellationToken = default);
}
