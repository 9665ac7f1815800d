using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AutoResearch.Web.Dashboard;

/// <summary>A standalone dashboard on Kestrel (what <c>autoresearch dashboard</c> runs); stop it by disposing.</summary>
public sealed class DashboardServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DashboardServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>Where it listens, e.g. <c>http://127.0.0.1:8321/</c> (the real port when 0 was asked for).</summary>
    public Uri Address { get; }

    /// <summary>Starts serving <paramref name="options"/> on <paramref name="host"/>:<paramref name="port"/> (0 picks a free port).</summary>
    /// <exception cref="IOException">The address is taken or cannot be bound.</exception>
    public static async Task<DashboardServer> StartAsync(DashboardOptions options, IPAddress host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentOutOfRangeException.ThrowIfNegative(port);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(host, port));
        var app = builder.Build();
        app.MapDashboard(options);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DashboardServer(app, new Uri(bound.EndsWith('/') ? bound : bound + "/"));
    }

    /// <summary>Serves until <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => Task.Delay(Timeout.Infinite, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
