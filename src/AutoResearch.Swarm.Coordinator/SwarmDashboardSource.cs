using AutoResearch.Core.Spec;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Web.Dashboard;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// The dashboard's view of this coordinator (<see cref="ISwarmSource"/>): the chain with its base as height 0, the shared log
/// newest first, the leaderboard and the workers, all read from the coordinator's database on each request.
/// </summary>
public sealed class SwarmDashboardSource : ISwarmSource
{
    /// <summary>How many rows of the leaderboard and the workers a page shows.</summary>
    private const int Rows = 200;

    private readonly Coordinator _coordinator;
    private readonly ObjectiveSpec _objective;

    internal SwarmDashboardSource(Coordinator coordinator)
    {
        _coordinator = coordinator;
        _objective = coordinator.Project.Spec.Objective;
    }

    public string Metric => _objective.Metric;

    public Direction Direction => _objective.Direction;

    public async ValueTask<long> VersionAsync(CancellationToken cancellationToken = default) =>
        await _coordinator.VersionAsync(cancellationToken).ConfigureAwait(false);

    public async Task<IReadOnlyList<ChainEntry>> ChainAsync(CancellationToken cancellationToken = default)
    {
        var links = new List<ChainLink>();
        // The coordinator hands out pages; read them all (until an empty one).
        while (await _coordinator.ChainAsync(links.Count > 0 ? links[^1].Sequence : 0, int.MaxValue, cancellationToken).ConfigureAwait(false) is { Count: > 0 } page)
        {
            links.AddRange(page);
        }

        var head = links.Count > 0 ? null : (await _coordinator.HeadAsync(cancellationToken).ConfigureAwait(false)).Metric;
        return Entries(Direction, _coordinator.Project.BaseCommit, links, head);
    }

    /// <summary>
    /// The dashboard's chain from the protocol's links (oldest first): the base at height 0, its metric the first link's parent
    /// (its metric less its improvement) or <paramref name="headMetric"/> while nothing was accepted, then each link.
    /// Also what <c>autoresearch plot --coordinator</c> draws from <c>/v1/chain</c>.
    /// </summary>
    public static IReadOnlyList<ChainEntry> Entries(Direction direction, string baseCommit, IReadOnlyList<ChainLink> links, double? headMetric)
    {
        ArgumentNullException.ThrowIfNull(links);
        var entries = new List<ChainEntry>(links.Count + 1);
        var baseMetric = links.Count > 0
            ? links[0].Metric + (direction == Direction.Minimize ? links[0].Improvement : -links[0].Improvement)
            : headMetric;
        if (baseMetric is { } b && double.IsFinite(b))
        {
            entries.Add(new ChainEntry(0, baseCommit, b, "base", "", links.Count > 0 ? links[0].AcceptedAt : DateTimeOffset.UnixEpoch));
        }

        entries.AddRange(links.Select(l => new ChainEntry(l.Sequence, l.HeadId, l.Metric, l.Description, l.Worker, l.AcceptedAt, l.Improvement, l.Patch, l.Verifications)));
        return entries;
    }

    public async Task<IReadOnlyList<SwarmExperiment>> LogAsync(int limit, CancellationToken cancellationToken = default) =>
        (await _coordinator.LatestExperimentsAsync(limit, cancellationToken).ConfigureAwait(false))
            .Select(e => new SwarmExperiment(e.Id, e.Worker, e.HeadSequence, e.Status, e.Metric, e.Description, e.Patch, e.At))
            .ToList();

    public async Task<IReadOnlyList<LeaderboardRow>> LeaderboardAsync(CancellationToken cancellationToken = default) =>
        (await _coordinator.LeaderboardAsync(0, Rows, cancellationToken).ConfigureAwait(false))
            .Select((e, i) => new LeaderboardRow(i + 1, e.Worker, e.Owner, e.ImprovementCredit, e.VerificationCredit, e.Accepted, e.Rejected, e.Verifications, e.Caught))
            .ToList();

    public async Task<IReadOnlyList<WorkerRow>> WorkersAsync(CancellationToken cancellationToken = default)
    {
        var states = await _coordinator.WorkerStatesAsync(cancellationToken).ConfigureAwait(false);
        return (await _coordinator.WorkersAsync(Rows, cancellationToken).ConfigureAwait(false))
            .Select(w => new WorkerRow(w.Worker, w.Name, w.Owner, w.LastSeen, w.Trusted, w.Trust, w.Quota, states.GetValueOrDefault(w.Worker, "idle")))
            .ToList();
    }
}
