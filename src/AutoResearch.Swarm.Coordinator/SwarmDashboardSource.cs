using AutoResearch.Core.Spec;
using AutoResearch.Web.Dashboard;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// The dashboard's view of this coordinator (<see cref="ISwarmSource"/>): the chain with its base as height 0, the shared log
/// newest first, the leaderboard and the workers, all read from the coordinator's database on each request.
/// </summary>
internal sealed class SwarmDashboardSource(Coordinator coordinator) : ISwarmSource
{
    /// <summary>How many rows of the leaderboard and the workers a page shows.</summary>
    private const int Rows = 200;

    private readonly ObjectiveSpec _objective = coordinator.Project.Spec.Objective;

    public string Metric => _objective.Metric;

    public Direction Direction => _objective.Direction;

    public async ValueTask<long> VersionAsync(CancellationToken cancellationToken = default) =>
        await coordinator.VersionAsync(cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<ChainEntry>> ChainAsync(CancellationToken cancellationToken = default)
    {
        var links = new List<Protocol.Messages.ChainLink>();
        // The coordinator hands out pages; read them all (until an empty one).
        while (await coordinator.ChainAsync(links.Count > 0 ? links[^1].Sequence : 0, int.MaxValue, cancellationToken).ConfigureAwait(false) is { Count: > 0 } page)
        {
            links.AddRange(page);
        }

        var entries = new List<ChainEntry>(links.Count + 1);
        // The base's metric: the first link's parent (its metric less its improvement), or the head's when nothing was accepted yet.
        double? baseMetric = links.Count > 0
            ? links[0].Metric + (Direction == Direction.Minimize ? links[0].Improvement : -links[0].Improvement)
            : (await coordinator.HeadAsync(cancellationToken).ConfigureAwait(false)).Metric;
        if (baseMetric is { } b && double.IsFinite(b))
        {
            entries.Add(new ChainEntry(0, coordinator.Project.BaseCommit, b, "base", "", links.Count > 0 ? links[0].AcceptedAt : DateTimeOffset.UnixEpoch));
        }

        entries.AddRange(links.Select(l => new ChainEntry(l.Sequence, l.HeadId, l.Metric, l.Description, l.Worker, l.AcceptedAt, l.Improvement, l.Patch)));
        return entries;
    }

    public async Task<IReadOnlyList<SwarmExperiment>> LogAsync(int limit, CancellationToken cancellationToken = default) =>
        (await coordinator.LatestExperimentsAsync(limit, cancellationToken).ConfigureAwait(false))
            .Select(e => new SwarmExperiment(e.Id, e.Worker, e.HeadSequence, e.Status, e.Metric, e.Description, e.Patch, e.At))
            .ToList();

    public async Task<IReadOnlyList<LeaderboardRow>> LeaderboardAsync(CancellationToken cancellationToken = default) =>
        (await coordinator.LeaderboardAsync(0, Rows, cancellationToken).ConfigureAwait(false))
            .Select((e, i) => new LeaderboardRow(i + 1, e.Worker, e.Owner, e.ImprovementCredit, e.VerificationCredit, e.Accepted, e.Rejected, e.Verifications, e.Caught))
            .ToList();

    public async Task<IReadOnlyList<WorkerRow>> WorkersAsync(CancellationToken cancellationToken = default) =>
        (await coordinator.WorkersAsync(Rows, cancellationToken).ConfigureAwait(false))
            .Select(w => new WorkerRow(w.Worker, w.Name, w.Owner, w.LastSeen, w.Trusted, w.Trust, w.Quota))
            .ToList();
}
