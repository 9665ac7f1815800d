using System.Collections.Concurrent;
using System.Reflection;
using AutoResearch.Web.Charts;
using AutoResearch.Web.Html;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AutoResearch.Web.Dashboard;

/// <summary>
/// Maps the dashboard's pages onto any ASP.NET Core app: <c>autoresearch dashboard</c> serves them over a workspace's
/// ledger, and the swarm coordinator serves the same pages over its own sources (adding chain, log, leaderboard and
/// workers through <see cref="DashboardOptions.Swarm"/>).
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>
    /// Maps, under <see cref="DashboardOptions.BasePath"/>: <c>/events</c> (server-sent events) and <c>/assets/*</c>;
    /// with an experiment source <c>/</c> (the latest run), <c>/runs/{tag}</c>, <c>/runs/{tag}/progress.png</c> and
    /// <c>/experiments/{id}</c>; with a swarm source <c>/chain</c>, <c>/chain/progress.png</c>, <c>/log</c>,
    /// <c>/leaderboard</c> and <c>/workers</c> (and <c>/</c> is the chain when there is no experiment source). Every page
    /// answers <c>?fragment=1</c> with only its main content (what live updates fetch). Returns the route group, so
    /// a host can add pages of its own (see <see cref="DashboardLayout"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid; every problem is listed.</exception>
    public static RouteGroupBuilder MapDashboard(this IEndpointRouteBuilder endpoints, DashboardOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException($"dashboard options: {string.Join("; ", problems)}", nameof(options));
        }

        var pages = new Pages(options);
        var clock = time ?? TimeProvider.System;
        var group = endpoints.MapGroup(options.BasePath);
        group.AddEndpointFilter(async (context, next) =>
        {
            // Defence in depth behind the encoding: only this site's own script and style run, nothing inline.
            var headers = context.HttpContext.Response.Headers;
            headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
            headers.XContentTypeOptions = "nosniff";
            return await next(context);
        });
        // Drawing a chart costs about a hundred times a page; every open page asks for it after each change, so the
        // latest image of each chart is kept with the version it was drawn at.
        var charts = new ConcurrentDictionary<string, (string Version, byte[] Png)>(StringComparer.Ordinal);

        group.MapGet("/events", (HttpContext context) =>
            LiveUpdates.StreamAsync(context, pages.VersionAsync, options.PollInterval, clock));
        group.MapGet("/assets/{name}", (string name) => Asset(name));

        if (options.Experiments is { } source)
        {
            group.MapGet("/", (HttpRequest request, CancellationToken ct) => RunPageAsync(pages, source, null, request, ct));
            group.MapGet("/runs/{tag}", (string tag, HttpRequest request, CancellationToken ct) => RunPageAsync(pages, source, tag, request, ct));
            group.MapGet("/runs/{tag}/progress.png", async (string tag, CancellationToken ct) =>
            {
                var version = await pages.VersionAsync(ct);
                if (charts.TryGetValue("run/" + tag, out var cached) && cached.Version == version)
                {
                    return Png(cached.Png);
                }

                var run = (await source.RunsAsync(ct)).FirstOrDefault(r => r.Tag == tag);
                if (run is null)
                {
                    return Results.NotFound();
                }

                var png = ProgressChart.Png(ProgressSeries.FromExperiments(run, await source.ExperimentsAsync(tag, ct)));
                charts["run/" + tag] = (version, png);
                return Png(png);
            });
            group.MapGet("/experiments/{id:long}", async (long id, HttpRequest request, CancellationToken ct) =>
            {
                var version = await pages.VersionAsync(ct);
                var page = await pages.ExperimentAsync(source, id, ct);
                return page is { } p
                    ? Html(pages.Render(p.Title, p.Main, IsFragment(request), poll: p.Running, version))
                    : Html(pages.Render("not found", Markup.Of($"<h1>No experiment {id}</h1>"), IsFragment(request), version: version), StatusCodes.Status404NotFound);
            });
        }

        if (options.Swarm is { } swarm)
        {
            if (options.Experiments is null)
            {
                group.MapGet("/", (HttpRequest request, CancellationToken ct) => ChainPageAsync(pages, swarm, request, ct));
            }

            group.MapGet("/chain", (HttpRequest request, CancellationToken ct) => ChainPageAsync(pages, swarm, request, ct));
            group.MapGet("/chain/progress.png", async (CancellationToken ct) =>
            {
                var version = await pages.VersionAsync(ct);
                if (charts.TryGetValue("chain", out var cached) && cached.Version == version)
                {
                    return Png(cached.Png);
                }

                var png = ProgressChart.Png(ProgressSeries.FromChain(swarm.Metric, swarm.Direction, await swarm.ChainAsync(ct)));
                charts["chain"] = (version, png);
                return Png(png);
            });
            group.MapGet("/log", async (HttpRequest request, CancellationToken ct) =>
                Html(pages.Render("log", await Pages.LogAsync(swarm, ct), IsFragment(request), version: await pages.VersionAsync(ct))));
            group.MapGet("/leaderboard", async (HttpRequest request, CancellationToken ct) =>
                Html(pages.Render("leaderboard", await Pages.LeaderboardAsync(swarm, ct), IsFragment(request), version: await pages.VersionAsync(ct))));
            group.MapGet("/workers", async (HttpRequest request, CancellationToken ct) =>
                Html(pages.Render("workers", await Pages.WorkersAsync(swarm, ct), IsFragment(request), version: await pages.VersionAsync(ct))));
        }

        return group;
    }

    private static async Task<IResult> RunPageAsync(Pages pages, IExperimentSource source, string? tag, HttpRequest request, CancellationToken cancellationToken)
    {
        // The version is read before the data, so a change in between makes the page refresh once more rather than miss it.
        var version = await pages.VersionAsync(cancellationToken);
        var (title, main, found) = await pages.RunAsync(source, tag, version, cancellationToken);
        return Html(pages.Render(title, main, IsFragment(request), version: version), found ? StatusCodes.Status200OK : StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ChainPageAsync(Pages pages, ISwarmSource swarm, HttpRequest request, CancellationToken cancellationToken)
    {
        var version = await pages.VersionAsync(cancellationToken);
        return Html(pages.Render("chain", await pages.ChainAsync(swarm, version, cancellationToken), IsFragment(request), version: version));
    }

    private static bool IsFragment(HttpRequest request) => request.Query.ContainsKey("fragment");

    private static IResult Html(string html, int status = StatusCodes.Status200OK) =>
        Results.Content(html, "text/html; charset=utf-8", statusCode: status);

    private static IResult Png(byte[] png) => Results.File(png, "image/png");

    private static IResult Asset(string name)
    {
        var type = Path.GetExtension(name) switch
        {
            ".css" => "text/css; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            _ => null,
        };
        var stream = type is null ? null : Assembly.GetExecutingAssembly().GetManifestResourceStream("AutoResearch.Web.Assets." + name);
        return stream is null ? Results.NotFound() : Results.Stream(stream, type);
    }
}
