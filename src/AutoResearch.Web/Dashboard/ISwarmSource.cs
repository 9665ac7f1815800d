using AutoResearch.Core.Spec;

namespace AutoResearch.Web.Dashboard;

/// <summary>
/// The swarm's side of the dashboard, supplied by the coordinator: with it, <see cref="DashboardEndpoints.MapDashboard"/>
/// adds the chain (with its progress chart), the leaderboard and the workers to the same pages. Calls come from request
/// threads at once.
/// </summary>
public interface ISwarmSource
{
    /// <summary>The objective's metric name (the chart's y axis).</summary>
    string Metric { get; }

    /// <summary>Which way the metric improves.</summary>
    Direction Direction { get; }

    /// <summary>A number that changes whenever the chain, the leaderboard or the workers may have changed; polled, so cheap.</summary>
    long Version();

    /// <summary>The accepted commits, the root (height 0) first.</summary>
    IReadOnlyList<ChainEntry> Chain();

    /// <summary>Contributors ranked, first place first.</summary>
    IReadOnlyList<LeaderboardRow> Leaderboard();

    /// <summary>The registered workers, in the order to show.</summary>
    IReadOnlyList<WorkerRow> Workers();
}
