using AutoResearch.Core.Loop;
using AutoResearch.Core.Proposers;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;
using AutoResearch.Tests.Support;
using AutoResearch.Web.Dashboard;
using Microsoft.Playwright;

namespace AutoResearch.Web.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser (Debian's Chromium driven by Playwright) while a real loop runs on a toy workspace.
/// Needs /usr/bin/chromium (<c>./test.sh</c> installs it).
/// </summary>
public sealed class DashboardE2ETests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task A_new_experiment_appears_without_a_reload_and_its_page_shows_the_diff()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install -y chromium (./test.sh does)");
        using var toy = new ToyWorkspace(x: 10);
        var gate = Path.Combine(toy.Scratch, "go");
        // The agent waits for the test's signal, so the experiment lands while the page is open.
        toy.Plan($"while [ ! -f {gate} ]; do sleep 0.1; done; {ToyWorkspace.SetX(2)}");
        using var source = new LedgerSource(Path.Combine(toy.Root, ".autoresearch", "ledger.db"));
        await using var server = await DashboardServer.StartAsync(
            new DashboardOptions { Experiments = source, PollInterval = TimeSpan.FromMilliseconds(200) }, System.Net.IPAddress.Loopback, 0);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var loop = RunLoopAsync(toy, stop.Token);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox"],
        });
        var page = await browser.NewPageAsync();
        await page.GotoAsync(server.Address.ToString());
        await page.Locator("tr[data-id]", new PageLocatorOptions { HasText = "baseline" }).WaitForAsync(new() { Timeout = 60_000 });
        await page.Locator("#live.on").WaitForAsync(new() { Timeout = 30_000 });
        await page.EvaluateAsync("() => { window.notReloaded = true; }");

        await File.WriteAllTextAsync(gate, "", stop.Token);
        var row = page.Locator("tr.keep[data-id]", new PageLocatorOptions { HasText = "set X to 2" });
        await row.WaitForAsync(new() { Timeout = 60_000 });

        Assert.True(await page.EvaluateAsync<bool>("() => window.notReloaded === true"), "the page reloaded instead of updating in place");
        await row.Locator("a").ClickAsync();
        var added = page.Locator("pre.diff .add", new PageLocatorOptions { HasText = "+X=2" });
        await added.WaitForAsync(new() { Timeout = 30_000 });
        Assert.Contains("Experiment", await page.Locator("h1").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await page.Locator("pre.diff .del", new PageLocatorOptions { HasText = "-X=10" }).CountAsync());

        var summary = await loop;
        Assert.Equal(2.0, summary.Best.Metric);
    }

    private static async Task<RunSummary> RunLoopAsync(ToyWorkspace toy, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var workspace = await GitWorkspace.OpenAsync(toy.Root, cancellationToken);
        var spec = SpecLoader.Load(workspace.Root);
        using var ledger = Ledger.Open(Path.Combine(toy.Root, ".autoresearch", "ledger.db"));
        var loop = new ResearchLoop(spec, workspace, ledger, new CliProposer(toy.AgentCommand, TimeSpan.FromSeconds(90)), new ExperimentRunner(spec));
        return await loop.RunAsync(new LoopOptions { Tag = "e2e", MaxExperiments = 1 }, cancellationToken);
    }
}
