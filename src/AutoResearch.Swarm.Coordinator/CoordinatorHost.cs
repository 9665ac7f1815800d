using AutoResearch.Core.Workspace;
using AutoResearch.Swarm.Coordinator.Storage;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Web.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// A running coordinator: Kestrel serving <see cref="Endpoints"/> over one database. Holds nothing of its own between
/// requests, so it can be killed and restarted (or run several times behind a load balancer over one PostgreSQL).
/// </summary>
public sealed class CoordinatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SwarmDatabase _db;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _housekeeping;
    private int _disposed;

    private readonly ChainTrees _trees;

    private CoordinatorHost(WebApplication app, SwarmDatabase db, Coordinator coordinator, ChainTrees trees, Uri address)
    {
        _trees = trees;
        _app = app;
        _db = db;
        Address = address;
        Project = coordinator.Project;
        _housekeeping = HousekeepAsync(coordinator, _stopping.Token);
    }

    /// <summary>Where it listens, e.g. <c>http://127.0.0.1:8787/</c>.</summary>
    public Uri Address { get; }

    /// <summary>The project it serves.</summary>
    public SwarmProject Project { get; }

    /// <summary>How many patches were read without git (<see cref="AutoResearch.Core.Workspace.DirectPatch"/>) and how many by git.</summary>
    public (long Direct, long ByGit) PatchReads => _trees.Reads;

    /// <summary>Opens the database (creating the tables), reads the project and starts listening.</summary>
    /// <exception cref="SwarmException">Bad options, or a database that belongs to another project.</exception>
    public static async Task<CoordinatorHost> StartAsync(CoordinatorOptions options, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new SwarmException("coordinator options: " + string.Join("; ", problems), isUsageError: true);
        }

        time ??= TimeProvider.System;
        var project = SwarmProject.Load(options.ProjectDirectory);
        var db = new SwarmDatabase(DatabaseTarget.Parse(options.Database));
        try
        {
            await db.EnsureSchemaAsync(project, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or System.Net.Sockets.SocketException or TimeoutException)
        {
            // The database is down or refuses us: say which one and why, and nothing more.
            await db.DisposeAsync().ConfigureAwait(false);
            throw new SwarmException($"cannot use the database {db.Target.Display}: {e.Message}; check that it runs and the credentials", isUsageError: false, e);
        }

        // Claims are read by git against their parent's tree, in a scratch repository over the project's objects.
        var trees = new ChainTrees(await ScratchRepository.CreateAsync(project.Spec.Root, cancellationToken).ConfigureAwait(false), project.BaseCommit, db);
        var coordinator = new Coordinator(project, db, options, time, trees);
        // Signatures stored by an older coordinator are read again in today's form before any request is answered.
        await coordinator.RefreshSignaturesAsync(cancellationToken).ConfigureAwait(false);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddProblemDetails();
        builder.Services.Configure<JsonOptions>(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = SwarmJson.Options.PropertyNamingPolicy;
            json.SerializerOptions.DefaultIgnoreCondition = SwarmJson.Options.DefaultIgnoreCondition;
            foreach (var converter in SwarmJson.Options.Converters)
            {
                json.SerializerOptions.Converters.Add(converter);
            }
        });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes;
            kestrel.Listen(System.Net.IPAddress.Parse(options.Listen), options.Port);
        });
        var app = builder.Build();
        await coordinator.ApplyOwnersAsync(cancellationToken).ConfigureAwait(false);
        var gate = new RequestGate(coordinator, db, new RateLimiter(options.RequestsPerSecond, 2 * options.RequestsPerSecond, time),
            new Registrations(options, time), options, time);
        if (options.RequestTimed is { } timed)
        {
            app.Use(async (context, next) =>
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    await next(context).ConfigureAwait(false);
                }
                finally
                {
                    timed(context.Request.Method, context.Request.Path.Value ?? "", System.Diagnostics.Stopwatch.GetElapsedTime(started));
                }
            });
        }

        app.Use((context, next) => gate.InvokeAsync(context, _ => next()));
        Endpoints.Map(app, coordinator);
        // The dashboard at the site root: the chain (with its progress chart), the shared log, the leaderboard and the workers, live.
        app.MapDashboard(new DashboardOptions { Swarm = new SwarmDashboardSource(coordinator), Title = $"{project.Name} swarm" });
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var address = new Uri(bound.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal) + "/");
        await WarmUpAsync(address, cancellationToken).ConfigureAwait(false);
        return new CoordinatorHost(app, db, coordinator, trees, address);
    }

    /// <summary>
    /// Sends the coordinator a few read-only requests of its own (and one unsigned POST, refused) before anyone else: the
    /// first requests of a fresh process pay for compiling its code paths, and a swarm reconnecting after a restart should
    /// not wait on that. Changes nothing; failures are ignored (the coordinator works the same without it).
    /// </summary>
    private static async Task WarmUpAsync(Uri address, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        foreach (var path in new[] { "v1/health", "v1/project", "v1/head", "v1/chain", "v1/leaderboard", "v1/experiments", "v1/workers" })
        {
            try
            {
                using var response = await client.GetAsync(path, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException)
            {
                // Only a warm-up.
            }
        }

        try
        {
            using var refused = await client.PostAsync("v1/leases", new StringContent("{}"), cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            // Only a warm-up.
        }
    }

    /// <summary>Empties <paramref name="database"/> (<c>sqlite:PATH</c> or <c>postgres://...</c>): every swarm table is dropped.</summary>
    public static async Task ResetDatabaseAsync(string database, CancellationToken cancellationToken = default)
    {
        await using var db = new SwarmDatabase(DatabaseTarget.Parse(database));
        await db.DropAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until the host stops (Ctrl-C or <paramref name="cancellationToken"/>).</summary>
    public async Task WaitAsync(CancellationToken cancellationToken = default)
    {
        await using var registration = cancellationToken.Register(() => _app.Lifetime.StopApplication()).ConfigureAwait(false);
        await _app.WaitForShutdownAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task HousekeepAsync(Coordinator coordinator, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            for (var tick = 1L; await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false); tick++)
            {
                await coordinator.PromoteQueuedAsync(cancellationToken).ConfigureAwait(false);
                if (tick % 6 == 0)
                {
                    await coordinator.PurgeAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        catch (System.Data.Common.DbException)
        {
            // The database went away; nonces will be purged by the next coordinator to start.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _housekeeping.ConfigureAwait(false);
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _db.DisposeAsync().ConfigureAwait(false);
        _trees.Dispose();
        _stopping.Dispose();
    }
}
