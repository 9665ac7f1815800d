using AutoResearch.Core;
using AutoResearch.Swarm.Protocol.Messages;

namespace AutoResearch.Swarm.Worker;

/// <summary>
/// A worker: registers its key, then in each of its parallel slots asks for a lease and does it: explore (its engine proposes
/// and runs a change; a local win is claimed with parent, patch, metrics and log digest; anything else goes to the shared log)
/// or verify (someone's claim, paired with the parent, at the coordinator's seed) or measure (the unchanged head at a seed: the
/// coordinator's noise estimate). Network errors and coordinator restarts
/// are ridden out by the client's backoff; a refused report is counted and the slot goes on.
/// </summary>
public sealed class SwarmWorker(SwarmClient client, IExperimentEngine engine, WorkerOptions options)
{
    private readonly SemaphoreSlim _chainGate = new(1, 1);
    private readonly List<ChainLink> _chain = [];
    private int _leases;
    private double? _sigma;

    public WorkerStats Stats { get; } = new();

    /// <summary>The noise σ the coordinator decides with, once it says (it measures it first when the project sets none).</summary>
    public double? Sigma => _sigma;

    /// <summary>Set once registered.</summary>
    public RegisterReply? Registration { get; private set; }

    /// <summary>Registers this worker's key (done by <see cref="RunAsync"/> when not done before).</summary>
    public async Task RegisterAsync(CancellationToken cancellationToken = default)
    {
        Registration = await client.RegisterAsync(new RegisterRequest(options.Owner, options.Name, options.Invite), cancellationToken).ConfigureAwait(false);
        _sigma = Registration.Project.Sigma;
    }

    /// <summary>Asks the coordinator for σ while it is unknown: one small request per exploration, none once it is known.</summary>
    private async Task RefreshSigmaAsync(CancellationToken cancellationToken) =>
        _sigma ??= (await client.ProjectAsync(cancellationToken).ConfigureAwait(false)).Sigma;

    /// <summary>Registers unless registered, then works until <paramref name="cancellationToken"/> fires or <see cref="WorkerOptions.MaxLeases"/> are done.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (Registration is null)
        {
            await RegisterAsync(cancellationToken).ConfigureAwait(false);
        }

        var slots = Enumerable.Range(0, options.Parallel).Select(_ => SlotAsync(cancellationToken)).ToList();
        await Task.WhenAll(slots).ConfigureAwait(false);
    }

    private async Task SlotAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (options.MaxLeases is { } max && Interlocked.Increment(ref _leases) > max)
            {
                return;
            }

            try
            {
                var reply = await client.LeaseAsync(new LeaseRequest(options.Verify), cancellationToken).ConfigureAwait(false);
                if (reply.Lease is not { } lease)
                {
                    if (options.MaxLeases is not null)
                    {
                        Interlocked.Decrement(ref _leases);
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(reply.RetryAfterMs * (0.5 + Random.Shared.NextDouble())), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                await WorkAsync(lease, cancellationToken).ConfigureAwait(false);
            }
            catch (AutoResearchException)
            {
                // Refused (a lapsed lease, a quota) or a run that could not happen here: counted; the next lease starts clean.
                Stats.Failed();
                await Task.Delay(TimeSpan.FromMilliseconds(500 * (0.5 + Random.Shared.NextDouble())), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Does one lease and reports it.</summary>
    public async Task WorkAsync(Lease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        var head = await SnapshotAsync(lease, cancellationToken).ConfigureAwait(false);
        if (lease.Kind == LeaseKind.Verify && lease.Verify is { } job)
        {
            var result = await engine.VerifyAsync(head, job.Patch, lease.Seed, job.Holdout, cancellationToken).ConfigureAwait(false);
            Stats.Verified(result.Runs);
            await client.ReportVerificationAsync(new VerificationReport(
                lease.Id, result.Applies, result.ParentMetric, result.CandidateMetric, result.HoldoutParent, result.HoldoutCandidate, result.LogDigest),
                cancellationToken).ConfigureAwait(false);
            return;
        }

        if (lease.Kind == LeaseKind.Measure)
        {
            var measured = await engine.MeasureAsync(head, lease.Seed, cancellationToken).ConfigureAwait(false);
            Stats.Measured(measured.Runs);
            await client.ReportMeasurementAsync(new MeasurementReport(lease.Id, measured.Metric, measured.LogDigest), cancellationToken).ConfigureAwait(false);
            return;
        }

        await RefreshSigmaAsync(cancellationToken).ConfigureAwait(false);
        var found = await engine.ExploreAsync(head, lease.Seed, cancellationToken).ConfigureAwait(false);
        var claim = found is { Win: true, Patch: not null, ParentMetric: not null, CandidateMetric: not null };
        Stats.Explored(found.Runs, claim);
        if (claim)
        {
            try
            {
                await client.ClaimAsync(new ClaimRequest(
                    lease.Id, found.Patch!, found.ParentMetric!.Value, found.CandidateMetric!.Value, found.LogDigest, found.Description), cancellationToken)
                    .ConfigureAwait(false);
                return;
            }
            catch (SwarmCallException e) when (e.Title == "claim quota")
            {
                // Too many of our claims are pending: the win still goes to the shared log, so the swarm learns from it.
                Stats.Failed();
            }
        }

        await client.ReportExperimentAsync(new ExperimentReport(lease.Id, found.Status, found.CandidateMetric, found.Description, found.Patch),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The head of <paramref name="lease"/> with the chain patches to rebuild it, fetching only what is new.</summary>
    private async Task<HeadSnapshot> SnapshotAsync(Lease lease, CancellationToken cancellationToken)
    {
        await _chainGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (_chain.Count < lease.HeadSequence)
            {
                var more = await client.ChainAsync(_chain.Count, cancellationToken).ConfigureAwait(false);
                if (more.Count == 0)
                {
                    break;
                }

                _chain.AddRange(more);
            }

            var links = _chain.Take((int)lease.HeadSequence).ToList();
            return new HeadSnapshot(lease.HeadSequence, lease.HeadId, Registration?.Project.BaseCommit ?? "", links);
        }
        finally
        {
            _chainGate.Release();
        }
    }
}
