using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using AutoResearch.Core.Loop;
using AutoResearch.Core.Notifications;
using AutoResearch.Core.Proposers;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Notifications;

public sealed class WebhookNotifierTests
{
    [Fact]
    public async Task Run_posts_new_best_crash_streak_and_end_as_json_that_slack_and_ntfy_read()
    {
        using var receiver = new WebhookReceiver(HttpStatusCode.OK);
        using var toy = new ToyWorkspace(x: 10, extraToml: $"""

            [notify]
            webhook = "{receiver.Url}"
            topic = "research-alerts"
            """);
        toy.Plan(ToyWorkspace.SetX(4), ToyWorkspace.SetMode("crash"), ToyWorkspace.SetMode("crash"), ToyWorkspace.SetMode("crash"), ToyWorkspace.SetX(9));
        var log = new ConcurrentQueue<string>();

        await RunAsync(toy, 5, log);

        var events = receiver.Bodies.Select(b => b.GetProperty("event").GetString()).ToList();
        Assert.Equal(["new_best", "crash_streak", "run_finished"], events);
        Assert.Empty(log);
        var best = receiver.Bodies[0];
        Assert.Contains("new best score 4", best.GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("at experiment #1: set X to 4", best.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("research-alerts", best.GetProperty("topic").GetString());
        Assert.Equal(4, best.GetProperty("value").GetDouble());
        Assert.Contains("3 experiments in a row crashed", receiver.Bodies[1].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Contains("5 experiments, 1 kept", receiver.Bodies[2].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.All(receiver.ContentTypes, t => Assert.Equal("application/json", t));
    }

    [Fact]
    public async Task Failing_webhook_is_logged_and_the_run_goes_on()
    {
        using var receiver = new WebhookReceiver(HttpStatusCode.InternalServerError);
        using var toy = new ToyWorkspace(x: 10, extraToml: $"""

            [notify]
            webhook = "{receiver.Url}"
            """);
        toy.Plan(ToyWorkspace.SetX(4));
        var log = new ConcurrentQueue<string>();

        var summary = await RunAsync(toy, 1, log);

        Assert.Equal(4, summary.Best.Metric);
        Assert.Equal(2, log.Count);
        Assert.All(log, line => Assert.Contains("answered 500", line, StringComparison.Ordinal));
        Assert.False(receiver.Bodies[0].TryGetProperty("topic", out _), "no topic configured, none sent");
    }

    [Fact]
    public async Task Unreachable_webhook_is_logged_not_thrown()
    {
        var port = FreePort();
        var log = new ConcurrentQueue<string>();
        var notifier = new WebhookNotifier(new NotifySpec { Webhook = new Uri($"http://127.0.0.1:{port}/hook") }, "score", log.Enqueue);

        notifier.RunFailed("the baseline crashed");
        await notifier.DisposeAsync();

        Assert.Equal(0, notifier.Delivered);
        Assert.Contains(log, line => line.Contains("could not post the run_failed notification", StringComparison.Ordinal));
    }

    [Fact]
    public void Slack_text_escapes_what_slack_reads_as_markup()
    {
        Assert.Equal("X 1 -&gt; 2 &lt;!channel&gt; &amp;", WebhookNotifier.SlackText("X 1 -> 2 <!channel> &"));
    }

    private static async Task<RunSummary> RunAsync(ToyWorkspace toy, int maxExperiments, ConcurrentQueue<string> log)
    {
        var workspace = await GitWorkspace.OpenAsync(toy.Root);
        var spec = SpecLoader.Load(workspace.Root);
        using var ledger = Ledger.Open(Path.Combine(toy.Root, ".autoresearch", "ledger.db"));
        RunSummary summary;
        await using (var notifier = new WebhookNotifier(spec.Notify, spec.Objective.Metric, log.Enqueue))
        {
            var loop = new ResearchLoop(spec, workspace, ledger, new CliProposer(toy.AgentCommand, TimeSpan.FromSeconds(30)), new ExperimentRunner(spec), notifier);
            summary = await loop.RunAsync(new LoopOptions { Tag = "n1", MaxExperiments = maxExperiments });
        }

        return summary;
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    /// <summary>A real HTTP listener on loopback that records what is posted and answers <c>status</c>.</summary>
    private sealed class WebhookReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();
        private readonly Task _loop;

        public WebhookReceiver(HttpStatusCode status)
        {
            var port = FreePort();
            Url = $"http://127.0.0.1:{port}/hook/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                while (_listener.IsListening)
                {
                    HttpListenerContext context;
                    try
                    {
                        context = await _listener.GetContextAsync();
                    }
                    catch (HttpListenerException)
                    {
                        return; // stopped
                    }
                    catch (ObjectDisposedException)
                    {
                        return; // stopped
                    }

                    using var reader = new StreamReader(context.Request.InputStream);
                    var body = await reader.ReadToEndAsync();
                    lock (Bodies)
                    {
                        Bodies.Add(JsonDocument.Parse(body).RootElement.Clone());
                        ContentTypes.Add(context.Request.ContentType?.Split(';')[0]);
                    }

                    context.Response.StatusCode = (int)status;
                    context.Response.Close();
                }
            });
        }

        public string Url { get; }

        public List<JsonElement> Bodies { get; } = [];

        public List<string?> ContentTypes { get; } = [];

        public void Dispose()
        {
            _listener.Stop();
            _listener.Close();
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
    }
}
