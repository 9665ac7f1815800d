using System.Globalization;
using System.Net;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using AutoResearch.Web.Dashboard;

namespace AutoResearch.Web.Tests.Dashboard;

/// <summary>The dashboard over real HTTP on loopback, reading a real SQLite ledger.</summary>
public sealed class DashboardTests : IAsyncLifetime
{
    private static readonly DateTimeOffset s_start = DateTimeOffset.Parse("2026-11-28T00:00:00Z", CultureInfo.InvariantCulture);
    private readonly TempFolder _folder = new();
    private LedgerSource? _source;
    private DashboardServer? _server;
    private HttpClient? _http;

    private string LedgerPath => Path.Combine(_folder.Path, "ledger.db");

    public async Task InitializeAsync()
    {
        using (var ledger = Ledger.Open(LedgerPath))
        {
            ledger.CreateRun(new RunRecord("r1", "autoresearch/r1", "abc1234", "score", "minimize", s_start, null));
            ledger.Insert(Experiment(0, 5.0, ExperimentStatus.Keep, "baseline", null) with
            {
                Cost = new ExperimentCost { Seconds = 10, Params = 1e6 },
                Conditions = new RunConditions { ToolVersion = "9.9.9", Cpu = "Test CPU", Cores = 2, Load = 1.0 },
            });
            ledger.Insert(Experiment(1, 4.0, ExperimentStatus.Keep, "<script>alert('description')</script>",
                "--- a/knobs.sh\n+++ b/knobs.sh\n@@ -1 +1 @@\n-X=5\n+X=4 # <img src=x onerror=alert(1)>\n") with
            {
                Cost = new ExperimentCost { Seconds = 17, Params = 2e6 },
                Conditions = new RunConditions { ToolVersion = "9.9.9", Cpu = "Test CPU", Cores = 2, Load = 3.5, Warnings = ["machine load 3.5 against the baseline's 1.0"] },
            });
        }

        _source = new LedgerSource(LedgerPath);
        _server = await DashboardServer.StartAsync(
            new DashboardOptions { Experiments = _source, Swarm = new Swarm(), PollInterval = TimeSpan.FromMilliseconds(100) }, IPAddress.Loopback, 0);
        _http = new HttpClient { BaseAddress = _server.Address };
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _source?.Dispose();
        _folder.Dispose();
    }

    [Fact]
    public async Task Overview_lists_experiments_and_escapes_their_descriptions()
    {
        var html = await _http!.GetStringAsync("/");

        Assert.Contains("&lt;script&gt;alert(&#39;description&#39;)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.Contains("/runs/r1/progress.png", html, StringComparison.Ordinal);
        Assert.Contains("-1.000000", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Experiment_page_shows_the_diff_escaped_and_marked()
    {
        var id = LedgerIdOf(1);

        var html = await _http!.GetStringAsync($"/experiments/{id}");

        Assert.Contains("<span class=\"add\">+X=4 # &lt;img src=x onerror=alert(1)&gt;</span>", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"del\">-X=5</span>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_show_cost_ratios_against_the_parent_the_machine_and_warnings_and_say_the_metric_is_a_mean()
    {
        var overview = await _http!.GetStringAsync("/");
        var page = await _http.GetStringAsync($"/experiments/{LedgerIdOf(1)}");

        Assert.Contains("score (mean of seeds)", overview, StringComparison.Ordinal);
        Assert.Contains("1 done, 1 kept", overview, StringComparison.Ordinal);
        Assert.Contains(">1.7x time<", overview, StringComparison.Ordinal);
        Assert.Contains("⚠ machine load 3.5 against the baseline&#39;s 1.0", overview, StringComparison.Ordinal);
        Assert.Contains("1.7x time, 2.0x params", page, StringComparison.Ordinal);
        Assert.Contains("Test CPU, 2 cores; load 3.50; autoresearch 9.9.9", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_forbid_inline_script()
    {
        var response = await _http!.GetAsync("/");

        Assert.Contains("default-src 'self'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Unknown_experiment_is_not_found()
    {
        var response = await _http!.GetAsync("/experiments/999");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Fragment_is_only_the_main_content()
    {
        var html = await _http!.GetStringAsync("/?fragment=1");

        Assert.DoesNotContain("<html", html, StringComparison.Ordinal);
        Assert.Contains("<table class=\"experiments\">", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Progress_png_is_an_image()
    {
        var response = await _http!.GetAsync("/runs/r1/progress.png");

        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
    }

    [Fact]
    public async Task Event_stream_announces_a_write_by_another_process_connection()
    {
        var version = $"{await _source!.VersionAsync()}.1";
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/events?since={version}");
        using var response = await _http!.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("retry: 2000", await reader.ReadLineAsync());

        using (var writer = Ledger.Open(LedgerPath))
        {
            writer.Insert(Experiment(2, 4.5, ExperimentStatus.Discard, "X 4 -> 4.5", null));
        }

        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string? line;
        do
        {
            line = await reader.ReadLineAsync(guard.Token);
        }
        while (line is not null && line != "event: change");

        Assert.Equal("event: change", line);
        Assert.NotEqual($"data: {version}", await reader.ReadLineAsync(guard.Token));
    }

    [Fact]
    public async Task Swarm_pages_show_chain_log_leaderboard_and_workers_escaped()
    {
        var chain = await _http!.GetStringAsync("/chain");
        var leaderboard = await _http.GetStringAsync("/leaderboard");
        var workers = await _http.GetStringAsync("/workers");
        var png = await _http.GetAsync("/chain/progress.png");
        var log = await _http.GetStringAsync("/log");

        Assert.Contains("halve the learning rate", chain, StringComparison.Ordinal);
        Assert.Contains("<span class=\"add\">+LR=1 &lt;script&gt;x&lt;/script&gt;</span>", chain, StringComparison.Ordinal);
        Assert.Contains("try &lt;u&gt;wider&lt;/u&gt; MLP", log, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;mallory&lt;/b&gt;", leaderboard, StringComparison.Ordinal);
        Assert.Contains("verifying #12", workers, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        Assert.Contains("href=\"/chain\"", await _http.GetStringAsync("/"), StringComparison.Ordinal);
    }

    private long LedgerIdOf(int seq)
    {
        using var ledger = Ledger.Open(LedgerPath);
        return ledger.Experiments("r1").Single(e => e.Seq == seq).Id;
    }

    private static ExperimentRecord Experiment(int seq, double metric, ExperimentStatus status, string description, string? patch) => new()
    {
        Tag = "r1",
        Seq = seq,
        Phase = ExperimentPhase.Done,
        Status = status,
        ParentCommit = "abc1234",
        Proposer = seq == 0 ? "baseline" : "search",
        Description = description,
        Patch = patch,
        Metric = metric,
        StartedAt = s_start.AddMinutes(seq),
        FinishedAt = s_start.AddMinutes(seq + 1),
        RunSeconds = 12.5,
        Seed = 42,
    };

    /// <summary>A swarm as a coordinator would supply it, in memory: the seam's contract, not a stand-in for a real part.</summary>
    private sealed class Swarm : ISwarmSource
    {
        public string Metric => "score";

        public Direction Direction => Direction.Minimize;

        public ValueTask<long> VersionAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(1L);

        public Task<IReadOnlyList<ChainEntry>> ChainAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<ChainEntry>>(
            [
                new(0, "aaaaaaaaaaaa", 5.0, "base", "project", s_start),
                new(1, "bbbbbbbbbbbb", 4.2, "halve the learning rate", "<b>mallory</b>", s_start.AddHours(1), 0.8, "-LR=2\n+LR=1 <script>x</script>\n", 2),
            ]);

        public Task<IReadOnlyList<SwarmExperiment>> LogAsync(int limit, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<SwarmExperiment>>([new(7, "w1", 1, "pending", 4.1, "try <u>wider</u> MLP", null, s_start.AddHours(2))]);

        public Task<IReadOnlyList<LeaderboardRow>> LeaderboardAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<LeaderboardRow>>([new(1, "<b>mallory</b>", "m", 0.8, 3, 1, 2, 5)]);

        public Task<IReadOnlyList<WorkerRow>> WorkersAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<WorkerRow>>([new("k1", "box-1", "alice", s_start, Trust: 4, Quota: 2, State: "verifying #12")]);
    }
}
