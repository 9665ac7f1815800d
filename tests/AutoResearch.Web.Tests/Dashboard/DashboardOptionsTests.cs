using System.Net;
using AutoResearch.Web.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace AutoResearch.Web.Tests.Dashboard;

public sealed class DashboardOptionsTests
{
    [Fact]
    public async Task Pages_under_a_base_path_link_within_it()
    {
        using var folder = new TempFolder();
        using var source = new LedgerSource(Path.Combine(folder.Path, "ledger.db"));
        await using var server = await DashboardServer.StartAsync(new DashboardOptions { Experiments = source, BasePath = "/dash" }, IPAddress.Loopback, 0);
        using var http = new HttpClient { BaseAddress = server.Address };

        var html = await http.GetStringAsync("/dash/");
        var css = await http.GetAsync("/dash/assets/dashboard.css");

        Assert.Contains("No runs yet", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/dash/assets/dashboard.css\"", html, StringComparison.Ordinal);
        Assert.Contains("data-events=\"/dash/events\"", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/dash/assets/secrets.txt")).StatusCode);
    }

    [Fact]
    public async Task Host_can_add_a_page_in_the_same_frame_with_a_navigation_link()
    {
        using var folder = new TempFolder();
        using var source = new LedgerSource(Path.Combine(folder.Path, "ledger.db"));
        var options = new DashboardOptions { Experiments = source, Links = [new DashboardLink("/claims", "claims")] };
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        var group = app.MapDashboard(options);
        group.MapGet("/claims", async () => Microsoft.AspNetCore.Http.Results.Content(
            await DashboardLayout.PageAsync(options, "claims", Html.Markup.Of($"<h1>Claims</h1><p>{"<i>pending</i>"}</p>")), "text/html"));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var html = await http.GetStringAsync("/claims");
        var home = await http.GetStringAsync("/");

        Assert.Contains("<h1>Claims</h1><p>&lt;i&gt;pending&lt;/i&gt;</p>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"/assets/dashboard.css\"", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"/claims\">claims</a>", home, StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Fact]
    public async Task Without_an_experiment_source_the_home_page_is_the_chain()
    {
        await using var server = await DashboardServer.StartAsync(new DashboardOptions { Swarm = new EmptySwarm() }, IPAddress.Loopback, 0);
        using var http = new HttpClient { BaseAddress = server.Address };

        var home = await http.GetStringAsync("/");

        Assert.Contains("<h1>Chain</h1>", home, StringComparison.Ordinal);
        Assert.Contains("no improvement has been verified yet", home, StringComparison.Ordinal);
        Assert.DoesNotContain(">experiments</a>", home, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/experiments/1")).StatusCode);
    }

    [Fact]
    public void Options_need_a_source()
    {
        var problems = new DashboardOptions().Validate();

        Assert.Equal(["the dashboard needs an experiment source, a swarm source, or both"], problems);
    }

    [Fact]
    public void Invalid_options_are_reported_together()
    {
        using var folder = new TempFolder();
        using var source = new LedgerSource(Path.Combine(folder.Path, "ledger.db"));

        var problems = new DashboardOptions
        {
            Experiments = source,
            BasePath = "dash/",
            PollInterval = TimeSpan.Zero,
            Links = [new DashboardLink("claims", "claims")],
        }.Validate();

        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("link \"claims\" path \"claims\"", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("base path \"dash/\"", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("poll interval 0 ms", StringComparison.Ordinal));
    }

    private sealed class EmptySwarm : ISwarmSource
    {
        public string Metric => "val_bpb";

        public AutoResearch.Core.Spec.Direction Direction => AutoResearch.Core.Spec.Direction.Minimize;

        public ValueTask<long> VersionAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(0L);

        public Task<IReadOnlyList<ChainEntry>> ChainAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<ChainEntry>>([]);

        public Task<IReadOnlyList<SwarmExperiment>> LogAsync(int limit, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<SwarmExperiment>>([]);

        public Task<IReadOnlyList<LeaderboardRow>> LeaderboardAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<LeaderboardRow>>([]);

        public Task<IReadOnlyList<WorkerRow>> WorkersAsync(CancellationToken cancellationToken = default) => Task.FromResult<IReadOnlyList<WorkerRow>>([]);
    }
}
