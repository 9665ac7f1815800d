using System.Diagnostics;
using System.Globalization;
using AutoResearch.Swarm.Coordinator;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Simulator.Adversaries;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Simulator;

/// <summary>
/// The real coordinator on loopback (real HTTP, real database) and N virtual workers in this process on the synthetic objective,
/// with adversaries. Prints chain progress while it runs, then the adversary table, per-endpoint latency and the summary line.
/// </summary>
public sealed partial class Simulation(SimulationOptions options, TextWriter output)
{
    private readonly CultureInfo _inv = CultureInfo.InvariantCulture;

    public async Task<SimulationReport> RunAsync(CancellationToken cancellationToken = default)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new SwarmException("simulate: " + string.Join("; ", problems), isUsageError: true);
        }

        var directory = Path.Combine(Path.GetTempPath(), "autoresearch-swarm-sim", Guid.NewGuid().ToString("N")[..12]);
        try
        {
            return await RunInAsync(directory, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            DeleteQuietly(directory);
        }
    }

    private async Task<SimulationReport> RunInAsync(string directory, CancellationToken cancellationToken)
    {
        await SimulatedWorkspace.CreateAsync(directory, options.Sigma, SyntheticObjective.BaseOfKnobs(options.Knobs), cancellationToken).ConfigureAwait(false);
        var database = options.Database ?? $"sqlite:{Path.Combine(directory, "swarm.db")}";
        await CoordinatorHost.ResetDatabaseAsync(database, cancellationToken).ConfigureAwait(false);
        var (counts, _) = SimulationOptions.ParseAdversaries(options.Adversaries);
        var keys = Enumerable.Range(0, options.Workers).Select(_ => WorkerKey.Generate()).ToList();
        // Every key that registers: the honest workers and each adversary (a colluding pair is two keys).
        var registering = options.Workers + counts.Sum(c => c.Key == AdversaryKind.Colluder ? 2 * c.Value : c.Value);
        var server = new LatencyTable();
        var coordinatorOptions = new CoordinatorOptions
        {
            RequestTimed = (method, path, spent) => server.Add(LatencyTable.Endpoint(method, path), spent.TotalMilliseconds),
            ProjectDirectory = directory,
            Database = database,
            Port = 0,
            TrustedKeys = keys.Take(options.TrustedCount).Select(k => k.PublicKey).ToList(),
            LeaseDuration = (options.RunTime * 40) + TimeSpan.FromSeconds(10),
            RequestsPerSecond = 50,
            // Every simulated key registers from loopback within seconds: the limits leave room for all of them, so no adversary is
            // kept out of the simulation by the registration limits (RegistrationTests attack those directly).
            RegistrationsPerMinutePerAddress = Math.Max(10, registering * 2),
            RegistrationsPerMinute = Math.Max(120, registering * 2),
        };
        await using var host = await CoordinatorHost.StartAsync(coordinatorOptions, cancellationToken: cancellationToken).ConfigureAwait(false);
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) };
        using var recorder = new LatencyRecorder(handler);
        using var http = new HttpClient(recorder, disposeHandler: false) { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(60) };
        var spec = host.Project.Spec;
        var objective = new SyntheticObjective(options.Seed, options.Sigma, options.Knobs);
        if (options.Workers == 1)
        {
            return await SoloAsync(spec, objective, cancellationToken).ConfigureAwait(false);
        }

        var time = TimeProvider.System;

        var workers = new List<(SwarmWorker Worker, AdversaryKind? Kind, bool Fraud)>();
        SwarmWorker Make(WorkerKey key, IExperimentEngine engine, string owner, AdversaryKind? kind, bool fraud, bool verify = true, int parallel = 1)
        {
            var worker = new SwarmWorker(new SwarmClient(http, key, time), engine,
                new WorkerOptions { Coordinator = host.Address, Owner = owner, Name = owner, Verify = verify, Parallel = parallel });
            workers.Add((worker, kind, fraud));
            return worker;
        }

        for (var i = 0; i < options.Workers; i++)
        {
            // The owner's machines (trusted) are bigger: four slots each.
            var trusted = i < options.TrustedCount;
            Make(keys[i], new SyntheticEngine(objective, spec, options.RunTime, (options.Seed * 7919) + i), trusted ? $"owner-{i}" : $"honest-{i}", null, false,
                parallel: trusted ? 4 : 1);
        }

        var tallies = Enum.GetValues<AdversaryKind>().ToDictionary(k => k, k => new AdversaryTally(k));
        var attackers = new List<Func<CancellationToken, Task>>();
        var n = 0;
        foreach (var (kind, count) in counts)
        {
            for (var i = 0; i < count; i++, n++)
            {
                var seed = (options.Seed * 104729) + n;
                switch (kind)
                {
                    case AdversaryKind.Fabricator:
                        Make(WorkerKey.Generate(), new FabricatingEngine(objective, spec, options.RunTime, seed), $"fabricator-{i}", kind, true, verify: false);
                        break;
                    case AdversaryKind.Lazy:
                        Make(WorkerKey.Generate(), new LazyEngine(objective, spec, options.RunTime, seed), $"lazy-{i}", kind, false);
                        break;
                    case AdversaryKind.Smuggler:
                        Make(WorkerKey.Generate(), new SmugglingEngine(objective, spec, options.RunTime, seed, host.Project.MaxPatchBytes), $"smuggler-{i}", kind, true, verify: false);
                        break;
                    case AdversaryKind.Colluder:
                        var board = new CollusionBoard();
                        Make(WorkerKey.Generate(), new FabricatingEngine(objective, spec, options.RunTime, seed, board), $"colluder-a-{i}", kind, true, verify: false);
                        Make(WorkerKey.Generate(), new LazyEngine(objective, spec, options.RunTime, seed + 1, board), $"colluder-b-{i}", kind, false);
                        break;
                    case AdversaryKind.Thief:
                        Make(WorkerKey.Generate(), new ThievingEngine(objective, spec, options.RunTime, seed), $"thief-{i}", kind, true);
                        break;
                    case AdversaryKind.Liar:
                        var liar = new ProtocolAttacker(http, WorkerKey.Generate(), keys[0].PublicKey, tallies[kind], TimeSpan.FromMilliseconds(500), time);
                        attackers.Add(liar.LieAsync);
                        break;
                    case AdversaryKind.Forger:
                        var forger = new ProtocolAttacker(http, WorkerKey.Generate(), keys[0].PublicKey, tallies[kind], TimeSpan.FromMilliseconds(500), time);
                        attackers.Add(forger.ForgeAsync);
                        break;
                    case AdversaryKind.Replayer:
                        var replayer = new ProtocolAttacker(http, WorkerKey.Generate(), keys[0].PublicKey, tallies[kind], TimeSpan.FromMilliseconds(500), time);
                        attackers.Add(replayer.ReplayAsync);
                        break;
                }
            }
        }

        output.WriteLine(string.Create(_inv,
            $"swarm simulate: {options.Workers} honest workers ({options.TrustedCount} trusted), adversaries {options.Adversaries}, {options.Duration.TotalMinutes:0.##} min, run {options.RunTime.TotalMilliseconds:0} ms, σ {options.Sigma}, db {host.Address} over {database.Split(':')[0]}"));
        if (options.JoinFirst)
        {
            // Registered before the clock starts, a few at a time (the coordinator's registration is not what is measured here).
            await Parallel.ForEachAsync(workers, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
                async (w, ct) => await w.Worker.RegisterAsync(ct).ConfigureAwait(false)).ConfigureAwait(false);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(options.Duration);
        var clock = Stopwatch.StartNew();
        var start = DateTimeOffset.UtcNow;
        var (pauseBefore, gen2Before) = (GC.GetTotalPauseDuration(), GC.CollectionCount(2));
        recorder.Table.Restart();
        server.Restart();
        // Workers join over the first tenth of the run (at most 10 s), as machines do, not in one burst.
        var joining = options.JoinFirst ? options.RunTime : TimeSpan.FromSeconds(Math.Min(10, options.Duration.TotalSeconds / 10));
        var ramp = joining / Math.Max(1, workers.Count);
        var tasks = workers.Select((w, i) => Quietly(async ct =>
            {
                await Task.Delay(ramp * i, ct).ConfigureAwait(false);
                await w.Worker.RunAsync(ct).ConfigureAwait(false);
            }, stop.Token))
            .Concat(attackers.Select(a => Quietly(a, stop.Token))).ToList();
        var reader = new SwarmClient(http, WorkerKey.Generate(), time);
        var baseLoss = objective.TrueLoss(objective.Base);
        var every = TimeSpan.FromSeconds(Math.Max(5, options.Duration.TotalSeconds / 10));
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var (length, loss) = await ChainStateAsync(reader, objective, CancellationToken.None).ConfigureAwait(false);
            output.WriteLine(string.Create(_inv,
                $"  t={clock.Elapsed.TotalSeconds,5:0}s chain {length,4}  head true loss {loss:0.000000} (base {baseLoss:0.000000})  requests {recorder.Table.Total}"));
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        var elapsed = clock.Elapsed.TotalSeconds;
        // Steady state: from 5 s after the last worker joined (a cold process and 1,000 registrations are behind it).
        var steadyFrom = joining.TotalSeconds + 5;
        var report = await ReportAsync(http, reader, objective, workers, tallies, recorder.Table, server, steadyFrom, baseLoss, elapsed).ConfigureAwait(false);
        var (series, acceptedAt) = await SeriesAsync(reader, objective, start, CancellationToken.None).ConfigureAwait(false);
        var (explorations, stale) = await StalenessAsync(reader, acceptedAt, CancellationToken.None).ConfigureAwait(false);
        report = report with
        {
            PatchReads = host.PatchReads,
            Series = series,
            Claims = workers.Where(w => w.Kind is null).Sum(w => w.Worker.Stats.Claims),
            Explorations = explorations,
            StaleShare = explorations > 0 ? (double)stale / explorations : 0,
            Seconds = elapsed,
        };
        output.WriteLine(string.Create(_inv,
            $"garbage collection in this process (coordinator and simulated workers): {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds:0} ms paused in {elapsed:0} s, {GC.CollectionCount(2) - gen2Before} full collections, server GC {System.Runtime.GCSettings.IsServerGC}"));
        Print(report, workers, report.ExploreRuns, report.VerifyRuns, elapsed);
        return report;
    }

    private async Task<SimulationReport> ReportAsync(
        HttpClient http, SwarmClient reader, SyntheticObjective objective, List<(SwarmWorker Worker, AdversaryKind? Kind, bool Fraud)> workers,
        Dictionary<AdversaryKind, AdversaryTally> tallies, LatencyTable recorder, LatencyTable server, double steadyFrom, double baseLoss, double elapsed)
    {
        var board = new Dictionary<string, LeaderboardEntry>(StringComparer.Ordinal);
        for (var offset = 0; ; offset += 500)
        {
            var page = await reader.LeaderboardAsync(offset, 500).ConfigureAwait(false);
            foreach (var entry in page)
            {
                board[entry.Worker] = entry;
            }

            if (page.Count < 500)
            {
                break;
            }
        }

        LeaderboardEntry Entry(SwarmWorker w) =>
            board.TryGetValue(w.Registration?.Key ?? "", out var e) ? e : new LeaderboardEntry("", "", 0, 0, 0, 0, 0, 0);
        foreach (var group in workers.Where(w => w.Kind is not null).GroupBy(w => w.Kind!.Value))
        {
            long attempts = 0, accepted = 0, caught = 0;
            foreach (var (worker, _, fraud) in group)
            {
                var entry = Entry(worker);
                if (fraud)
                {
                    attempts += worker.Stats.Claims;
                    accepted += entry.Accepted;
                    caught += entry.Rejected;
                }
                else if (group.Key == AdversaryKind.Lazy)
                {
                    attempts += worker.Stats.Verifications;
                    accepted += (long)entry.VerificationCredit;
                    caught += entry.Caught;
                }
            }

            tallies[group.Key].Set(attempts, accepted, caught);
        }

        var fraudulent = workers.Where(w => w.Fraud).Sum(w => (long)Entry(w.Worker).Accepted)
            + tallies[AdversaryKind.Forger].Accepted + tallies[AdversaryKind.Replayer].Accepted + tallies[AdversaryKind.Lazy].Accepted
            + tallies[AdversaryKind.Liar].Accepted;
        // Every worker's runs as it reports them (fabricators and smugglers report none; lazy verifiers report the runs they skip).
        double verify = workers.Sum(w => w.Worker.Stats.VerifyRuns), explore = workers.Sum(w => w.Worker.Stats.ExploreRuns);
        var overhead = verify + explore > 0 ? verify / (verify + explore) : 0;
        var (length, loss) = await ChainStateAsync(reader, objective, CancellationToken.None).ConfigureAwait(false);
        var requests = recorder.Total;
        var report = new SimulationReport(length, baseLoss, loss, overhead, fraudulent, requests, requests / elapsed,
            tallies.Values.Where(t => t.Attempts > 0 || workers.Any(w => w.Kind == t.Kind)).Select(t => (t.Kind.ToString().ToLowerInvariant(), t.Attempts, t.Accepted, t.Caught)).ToList(),
            recorder.Summary(), recorder.Overall(), server.Summary(), server.Overall())
        {
            SteadyFrom = steadyFrom,
            SteadyLatency = recorder.Summary(steadyFrom),
            SteadyOverall = recorder.Overall(steadyFrom),
            ExploreRuns = explore,
            VerifyRuns = verify,
        };
        return report;
    }

    private void Print(SimulationReport report, List<(SwarmWorker Worker, AdversaryKind? Kind, bool Fraud)> workers, double explore, double verify, double elapsed)
    {
        output.WriteLine();
        output.WriteLine(string.Create(_inv,
            $"chain: {report.ChainLength} accepted, true loss {report.BaseLoss:0.000000} -> {report.HeadLoss:0.000000}; claims {workers.Sum(w => w.Worker.Stats.Claims)}, runs: explore {explore:0}, verify {verify:0}"));
        output.WriteLine(string.Create(_inv,
            $"requests: {report.Requests} in {elapsed:0.0} s = {report.RequestsPerSecond:0.0}/s; all endpoints p50 {report.Overall.P50:0.0} ms p99 {report.Overall.P99:0.0} ms as the workers saw them, p50 {report.ServerOverall.P50:0.0} ms p99 {report.ServerOverall.P99:0.0} ms in the coordinator"));
        output.WriteLine(string.Create(_inv,
            $"steady state (from t = {report.SteadyFrom:0} s, every worker joined): {report.SteadyOverall.Count} requests, p50 {report.SteadyOverall.P50:0.0} ms p99 {report.SteadyOverall.P99:0.0} ms as the workers saw them"));
        output.WriteLine(string.Create(_inv,
            $"patches read by the coordinator: {report.PatchReads.Direct} without git, {report.PatchReads.ByGit} by git (chain links, and patches other than plain edits of existing files)"));
        output.WriteLine();
        output.WriteLine("Latency per endpoint as the workers saw it (the round trip, queueing in this process included), in the steady state, and inside the coordinator:");
        output.WriteLine();
        output.WriteLine("| endpoint | requests | p50 ms | p99 ms | steady p99 ms | coordinator p50 ms | coordinator p99 ms |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        var inside = report.ServerLatency.ToDictionary(l => l.Endpoint, StringComparer.Ordinal);
        var steady = report.SteadyLatency.ToDictionary(l => l.Endpoint, StringComparer.Ordinal);
        foreach (var (endpoint, count, p50, p99) in report.Latency)
        {
            var (s50, s99) = inside.TryGetValue(endpoint, out var s) ? (s.P50.ToString("0.0", _inv), s.P99.ToString("0.0", _inv)) : ("-", "-");
            var t99 = steady.TryGetValue(endpoint, out var t) ? t.P99.ToString("0.0", _inv) : "-";
            output.WriteLine(string.Create(_inv, $"| {endpoint} | {count} | {p50:0.0} | {p99:0.0} | {t99} | {s50} | {s99} |"));
        }

        output.WriteLine();
        output.WriteLine("| adversary | attempts | accepted | caught |");
        output.WriteLine("|---|---:|---:|---:|");
        foreach (var (kind, attempts, accepted, caught) in report.Adversaries)
        {
            output.WriteLine(string.Create(_inv, $"| {kind} | {attempts} | {accepted} | {caught} |"));
        }

        output.WriteLine();
        output.WriteLine(report.LastLine);
    }

    private static async Task<(long Length, double Loss)> ChainStateAsync(SwarmClient reader, SyntheticObjective objective, CancellationToken cancellationToken)
    {
        var text = objective.Base;
        long after = 0;
        while (true)
        {
            var links = await reader.ChainAsync(after, cancellationToken).ConfigureAwait(false);
            foreach (var link in links)
            {
                text = SyntheticObjective.Apply(text, link.Patch) ?? text;
            }

            if (links.Count == 0)
            {
                return (after, objective.TrueLoss(text));
            }

            after = links[^1].Sequence;
        }
    }

    private static async Task Quietly(Func<CancellationToken, Task> run, CancellationToken cancellationToken)
    {
        try
        {
            await run(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The simulation's time is up.
        }
    }

    private static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // Same: git marks some objects read-only.
        }
    }
}
