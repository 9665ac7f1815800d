using System.Collections.Concurrent;
using System.Reflection;
using AutoResearch.Web.Charts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AutoResearch.Web.Dashboard;

/// <summary>
/// Maps the dashboard's pages onto any ASP.NET Core app: <c>autoresearch dashboard</c> serves them over a workspace's
/// ledger, and the swarm coordinator serves the same pages over its own sources (adding chain, leaderboard and workers
/// through <see cref="DashboardOptions.Swarm"/>).
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>
    /// Maps, under <see cref="DashboardOptions.BasePath"/>: <c>/</c> (the latest run), <c>/runs/{tag}</c>,
    /// <c>/runs/{tag}/progress.png</c>, <c>/experiments/{id}</c>, <c>/events</c> (server-sent events) and
    /// <c>/assets/*</c>; with a swarm source also <c>/chain</c>, <c>/chain/progress.png</c>, <c>/leaderboard</c> and
    /// <c>/workers</c>. Every page answers <c>?fragment=1</c> with only its main content (what live updates fetch).
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

        group.MapGet("/", (HttpRequest request) => RunPage(pages, null, request));
        group.MapGet("/runs/{tag}", (string tag, HttpRequest request) => RunPage(pages, tag, request));
        // Drawing a chart costs about a hundred times a page; every open page asks for it after each change, so the
        // latest image of each chart is kept with the version it was drawn at.
        var charts = new ConcurrentDictionary<string, (string Version, byte[] Png)>(StringComparer.Ordinal);
        group.MapGet("/runs/{tag}/progress.png", (string tag) =>
        {
            var version = pages.Version();
            if (charts.TryGetValue("run/" + tag, out var cached) && cached.Version == version)
            {
                return Png(cached.Png);
            }

            var run = options.Experiments.Runs().FirstOrDefault(r => r.Tag == tag);
            if (run is null)
            {
                return Results.NotFound();
            }

            var png = ProgressChart.Png(ProgressSeries.FromExperiments(run, options.Experiments.Experiments(tag)));
            charts["run/" + tag] = (version, png);
            return Png(png);
        });
        group.MapGet("/experiments/{id:long}", (long id, HttpRequest request) =>
        {
            var page = pages.Experiment(id);
            return page is { } p
                ? Html(pages.Render(p.Title, p.Main, IsFragment(request), poll: p.Running))
                : Html(pages.Render("not found", AutoResearch.Web.Html.Markup.Of($"<h1>No experiment {id}</h1>"), IsFragment(request)), StatusCodes.Status404NotFound);
        });
        group.MapGet("/events", (HttpContext context) => LiveUpdates.StreamAsync(context, pages.Version, options.PollInterval, clock));
        group.MapGet("/assets/{name}", (string name) => Asset(name));

        if (options.Swarm is { } swarm)
        {
            group.MapGet("/chain", (HttpRequest request) => Html(pages.Render("chain", pages.Chain(swarm), IsFragment(request))));
            group.MapGet("/chain/progress.png", () =>
            {
                var version = pages.Version();
                if (charts.TryGetValue("chain", out var cached) && cached.Version == version)
                {
                    return Png(cached.Png);
                }

                var png = ProgressChart.Png(ProgressSeries.FromChain(swarm.Metric, swarm.Direction, swarm.Chain()));
                charts["chain"] = (version, png);
                return Png(png);
            });
            group.MapGet("/leaderboard", (HttpRequest request) => Html(pages.Render("leaderboard", Pages.Leaderboard(swarm), IsFragment(request))));
            group.MapGet("/workers", (HttpRequest request) => Html(pages.Render("workers", Pages.Workers(swarm), IsFragment(request))));
        }

        return group;
    }

    private static IResult RunPage(Pages pages, string? tag, HttpRequest request)
    {
        var (title, main, found) = pages.Run(tag);
        return Html(pages.Render(title, main, IsFragment(request)), found ? StatusCodes.Status200OK : StatusCodes.Status404NotFound);
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
