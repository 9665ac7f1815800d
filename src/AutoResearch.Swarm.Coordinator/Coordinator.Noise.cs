using System.Security.Cryptography;
using System.Text;
using AutoResearch.Swarm.Coordinator.Storage;
using AutoResearch.Swarm.Protocol.Messages;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// The noise σ of a project that does not set one, measured by the swarm before any claim is decided: the base is run unchanged
/// at <see cref="CoordinatorOptions.NoiseSeeds"/> seeds (measure leases, served before any other work), σ is the spread of those
/// values. Every head's runs are at one seed (see <see cref="HeadState"/>), so verification alone never sees the same code at
/// two seeds, and deciding at σ = 0 would accept any change that happened to win at its seed.
/// </summary>
/// <remarks>
/// Measurements come from untrusted workers, so they are checked like claims: a seed's value counts once two owners agree on it
/// within <see cref="SwarmProject.Tolerance"/> (same code, same seed) or one trusted key reported it; whoever disagreed with a
/// settled value loses its trust, and a seed nobody agrees on after <see cref="MaxRunsPerSeed"/> runs takes the median of its runs.
/// Until σ is known, workers explore and their claims wait: no verification lease is served.
/// </remarks>
internal sealed partial class Coordinator
{
    /// <summary>The most runs one noise seed gets; past it the seed takes the median of what was reported.</summary>
    public const int MaxRunsPerSeed = 6;

    /// <summary>σ once measured (it does not change after).</summary>
    private double? _noise;

    /// <summary>True when this coordinator measures σ: the project sets none and the options ask for noise seeds.</summary>
    private bool MeasuresNoise => Project.Sigma is null && _options.NoiseSeeds >= 2;

    /// <summary>The <paramref name="index"/>th noise seed: fixed for a base commit, so every coordinator over one database agrees.</summary>
    private long NoiseSeed(int index) =>
        1 + (BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes($"noise:{Project.BaseCommit}:{index}"))) % (int.MaxValue - 1));

    private sealed record NoiseRun(long Seed, string Worker, string Owner, bool Trusted, double? Metric);

    /// <summary>What a seed's runs say: its value when settled (agreed, trusted, or the median of a seed that ran out of runs).</summary>
    private sealed record SeedState(long Seed, IReadOnlyList<NoiseRun> Runs, double? Value, bool Agreed)
    {
        public bool Settled => Value is not null || Runs.Count >= MaxRunsPerSeed;
    }

    private static Task<List<NoiseRun>> NoiseRunsAsync(Session s, CancellationToken cancellationToken) =>
        s.QueryAsync("SELECT seed, worker, owner, trusted, metric FROM measurements ORDER BY id",
            r => new NoiseRun(r.Long("seed"), r.Text("worker"), r.Text("owner"), r.Flag("trusted"), r.NullableDouble("metric")), cancellationToken);

    private List<SeedState> Seeds(IReadOnlyList<NoiseRun> runs) =>
        [.. Enumerable.Range(0, _options.NoiseSeeds).Select(i => Settle(NoiseSeed(i), runs.Where(r => r.Seed == NoiseSeed(i)).ToList()))];

    private SeedState Settle(long seed, List<NoiseRun> runs)
    {
        if (runs.FirstOrDefault(r => r is { Trusted: true, Metric: not null }) is { } trusted)
        {
            return new SeedState(seed, runs, trusted.Metric, Agreed: true);
        }

        var measured = runs.Where(r => r.Metric is not null).ToList();
        for (var i = 0; i < measured.Count; i++)
        {
            for (var j = i + 1; j < measured.Count; j++)
            {
                if (measured[i].Owner != measured[j].Owner && Math.Abs(measured[i].Metric!.Value - measured[j].Metric!.Value) <= Project.Tolerance)
                {
                    return new SeedState(seed, runs, (measured[i].Metric!.Value + measured[j].Metric!.Value) / 2, Agreed: true);
                }
            }
        }

        if (runs.Count >= MaxRunsPerSeed && measured.Count > 0)
        {
            var sorted = measured.Select(r => r.Metric!.Value).Order().ToList();
            return new SeedState(seed, runs, (sorted[(sorted.Count - 1) / 2] + sorted[sorted.Count / 2]) / 2, Agreed: false);
        }

        return new SeedState(seed, runs, null, Agreed: false);
    }

    /// <summary>σ from the noise seeds once every one is settled; null while some are not (or when this coordinator does not measure).</summary>
    private async Task<double?> MeasuredNoiseAsync(Session s, CancellationToken cancellationToken)
    {
        if (_noise is not null || !MeasuresNoise)
        {
            return _noise;
        }

        var seeds = Seeds(await NoiseRunsAsync(s, cancellationToken).ConfigureAwait(false));
        if (!seeds.All(x => x.Settled))
        {
            return null;
        }

        // Seeds where every run crashed carry no value; a base that never produces a metric has no noise to speak of.
        _noise = Core.Acceptance.Noise.Sigma([seeds.Where(x => x.Value is not null).Select(x => x.Value!.Value).ToList()]) ?? 0;
        return _noise;
    }

    /// <summary>
    /// A measure lease for <paramref name="caller"/> while σ is being measured: a seed that is not settled, that no key of the
    /// caller's owner ran or holds, and that lacks runs (two owners must agree; one more run after each disagreement). Seeds with
    /// runs come first, so values settle early. Null when there is none for this caller.
    /// </summary>
    private async Task<Lease?> TryMeasureLeaseAsync(Session s, Caller caller, long now, long expires, CancellationToken cancellationToken)
    {
        var seeds = Seeds(await NoiseRunsAsync(s, cancellationToken).ConfigureAwait(false));
        var held = await s.QueryAsync(
            "SELECT l.seed, w.owner FROM leases l JOIN workers w ON w.key = l.worker WHERE l.kind = 'measure' AND l.state = 'active' AND l.expires_ms > @now",
            r => (Seed: r.Long("seed"), Owner: r.Text("owner")), cancellationToken, ("@now", now)).ConfigureAwait(false);
        var pick = seeds
            .Where(x => !x.Settled)
            .Where(x => x.Runs.All(r => r.Owner != caller.Owner) && held.All(h => h.Seed != x.Seed || h.Owner != caller.Owner))
            .Where(x => held.Count(h => h.Seed == x.Seed) < Math.Max(1, 2 - x.Runs.Where(r => r.Metric is not null).Select(r => r.Owner).Distinct().Count()))
            .OrderByDescending(x => x.Runs.Count)
            .FirstOrDefault();
        if (pick is null)
        {
            return null;
        }

        var id = await s.ScalarAsync<long>(
            """
            INSERT INTO leases (worker, kind, head_seq, job_id, seed, issued_ms, expires_ms, state)
            VALUES (@k, 'measure', 0, NULL, @seed, @now, @exp, 'active') RETURNING id
            """,
            cancellationToken, ("@k", caller.Key), ("@seed", pick.Seed), ("@now", now), ("@exp", expires)).ConfigureAwait(false);
        return new Lease(id, LeaseKind.Measure, 0, HeadIds.Base(Project.BaseCommit), (int)pick.Seed, DateTimeOffset.FromUnixTimeMilliseconds(expires));
    }

    /// <summary>
    /// Records a measure lease's run. When it settles its seed, keys whose runs disagree with the settled value are caught (trust
    /// reset): a worker that lies about the noise is treated like one that lies about a claim. Reporting the same lease again is a no-op.
    /// </summary>
    public Task<Receipt> ReportMeasurementAsync(Caller caller, MeasurementReport report, CancellationToken cancellationToken)
    {
        var metric = report.Metric is { } m && double.IsFinite(m) ? m : (double?)null;
        var now = Now;
        return _db.WriteAsync(async s =>
        {
            var lease = await OwnLeaseAsync(s, caller, report.LeaseId, "measure", cancellationToken).ConfigureAwait(false);
            if (lease.State != "active")
            {
                return new Receipt("recorded", "already reported");
            }

            await s.ExecAsync("UPDATE leases SET state = 'done' WHERE id = @l", cancellationToken, ("@l", lease.Id)).ConfigureAwait(false);
            var before = Seeds(await NoiseRunsAsync(s, cancellationToken).ConfigureAwait(false)).FirstOrDefault(x => x.Seed == lease.Seed);
            if (before is null || before.Settled)
            {
                // A seed settled while this run was under way: nothing more to learn from it.
                return new Receipt("recorded", "this seed was already measured");
            }

            await s.ExecAsync(
                """
                INSERT INTO measurements (lease_id, worker, owner, trusted, head_seq, seed, metric, log_digest, at_ms)
                VALUES (@l, @k, @o, @t, @head, @seed, @m, @d, @now)
                """,
                cancellationToken, ("@l", lease.Id), ("@k", caller.Key), ("@o", caller.Owner), ("@t", caller.Trusted), ("@head", lease.HeadSeq),
                ("@seed", lease.Seed), ("@m", metric), ("@d", Protocol.Messages.Text.Line(report.LogDigest, 64)), ("@now", now)).ConfigureAwait(false);
            var after = Seeds(await NoiseRunsAsync(s, cancellationToken).ConfigureAwait(false)).First(x => x.Seed == lease.Seed);
            if (after is { Agreed: true, Value: { } value })
            {
                foreach (var liar in after.Runs.Where(r => !r.Trusted && r.Metric is { } x && Math.Abs(x - value) > Project.Tolerance).Select(r => r.Worker).Distinct())
                {
                    await s.ExecAsync("UPDATE workers SET trust = 0, vouched = 0, caught = caught + 1 WHERE key = @k", cancellationToken, ("@k", liar)).ConfigureAwait(false);
                }
            }

            return new Receipt("recorded");
        }, cancellationToken);
    }
}
