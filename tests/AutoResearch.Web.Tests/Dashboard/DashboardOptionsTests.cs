using System.Net;
using AutoResearch.Web.Dashboard;

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
    public void Invalid_options_are_reported_together()
    {
        using var folder = new TempFolder();
        using var source = new LedgerSource(Path.Combine(folder.Path, "ledger.db"));

        var problems = new DashboardOptions { Experiments = source, BasePath = "dash/", PollInterval = TimeSpan.Zero }.Validate();

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("base path \"dash/\"", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("poll interval 0 ms", StringComparison.Ordinal));
    }
}
