using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using AutoResearch.Core.Loop;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Notifications;

/// <summary>
/// Posts the run's news to <c>[notify] webhook</c> as JSON: a new best, <c>crash_streak</c> crashes or timeouts in a
/// row, the end of the run (and, through <see cref="RunFailed"/>, a run that failed). Posting happens in the background
/// so the loop never waits on the network; a failure is reported to <c>log</c> and never stops the run. Dispose to send
/// what is queued (waiting at most <see cref="DrainTimeout"/>).
/// </summary>
public sealed class WebhookNotifier : IResearchObserver, IAsyncDisposable
{
    /// <summary>How long one POST may take.</summary>
    public static readonly TimeSpan PostTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long disposing waits for queued notifications.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(15);

    private readonly NotifySpec _spec;
    private readonly string _metric;
    private readonly Action<string> _log;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Channel<WebhookPayload> _queue = Channel.CreateUnbounded<WebhookPayload>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _sender;
    private readonly Lock _gate = new();
    private RunRecord? _run;
    private int _crashes;
    private bool _disposed;

    /// <param name="spec">Where to post; <see cref="NotifySpec.Webhook"/> must be set.</param>
    /// <param name="metric">The objective's metric name, for the messages.</param>
    /// <param name="log">Hears every failure to notify, in a sentence.</param>
    /// <param name="http">The client to post with; null for one of its own.</param>
    public WebhookNotifier(NotifySpec spec, string metric, Action<string> log, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(log);
        if (spec.Webhook is null)
        {
            throw new ArgumentException("[notify] has no webhook", nameof(spec));
        }

        _spec = spec;
        _metric = metric;
        _log = log;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = PostTimeout };
        _sender = Task.Run(SendAllAsync);
    }

    /// <summary>How many notifications were posted and answered with a success status.</summary>
    public int Delivered { get; private set; }

    public void OnRunStarted(RunRecord run, bool resumed, string worktree) => _run = run;

    public void OnExperimentFinished(ExperimentRecord experiment, ExperimentRecord best)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(best);
        if (experiment.Status is ExperimentStatus.Crash or ExperimentStatus.Timeout)
        {
            int streak;
            lock (_gate)
            {
                // Parallel slots report from their own tasks.
                streak = ++_crashes;
            }

            if (streak == _spec.CrashStreak)
            {
                Post("crash_streak", $"{streak} crashes in a row",
                    $"{Prefix}{streak} experiments in a row crashed or timed out; the last, #{experiment.Seq}: {experiment.Error ?? "no metric"}",
                    ["warning"], experiment);
            }

            return;
        }

        lock (_gate)
        {
            _crashes = 0;
        }

        if (experiment.Status == ExperimentStatus.Keep && !experiment.IsBaseline && best.Id == experiment.Id)
        {
            var margin = experiment.Margin is { } m ? $" (better by {m.ToString("0.######", CultureInfo.InvariantCulture)})" : "";
            Post("new_best", $"new best {_metric} {Number(experiment.Metric)}",
                $"{Prefix}new best {_metric} {Number(experiment.Metric)}{margin} at experiment #{experiment.Seq}: {experiment.Description}",
                ["tada"], experiment);
        }
    }

    public void OnRunFinished(RunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var proposals = summary.Experiments.Count(e => !e.IsBaseline);
        var kept = summary.Experiments.Count(e => !e.IsBaseline && e.Status == ExperimentStatus.Keep);
        Post("run_finished", "run finished",
            $"{Prefix}run finished ({summary.StopReason}): {proposals} experiments, {kept} kept; {_metric} {Number(summary.Baseline.Metric)} -> {Number(summary.Best.Metric)}",
            ["checkered_flag"], summary.Best);
    }

    /// <summary>The run ended with an error (the loop threw); <paramref name="reason"/> says why.</summary>
    public void RunFailed(string reason) => Post("run_failed", "run failed", $"{Prefix}run failed: {reason}", ["rotating_light"], null);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _queue.Writer.TryComplete();
        if (await Task.WhenAny(_sender, Task.Delay(DrainTimeout)).ConfigureAwait(false) != _sender)
        {
            _log($"notify: gave up sending to {_spec.Webhook} after {DrainTimeout.TotalSeconds:0} s");
        }

        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private string Prefix => _run is null ? "autoresearch: " : $"autoresearch {_run.Tag}: ";

    private void Post(string kind, string title, string text, string[] tags, ExperimentRecord? experiment) =>
        _queue.Writer.TryWrite(new WebhookPayload(
            SlackText(text), _spec.Topic, "autoresearch: " + title, text, tags, kind, _run?.Tag, _metric, experiment?.Metric, experiment?.Seq, experiment?.Id));

    /// <summary>
    /// Slack reads <c>&amp;</c>, <c>&lt;</c> and <c>&gt;</c> in <c>text</c> as markup (<c>&lt;!channel&gt;</c> would notify everyone), and
    /// descriptions come from code under research: they are escaped as Slack asks. ntfy's <c>message</c> stays plain.
    /// </summary>
    internal static string SlackText(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private async Task SendAllAsync()
    {
        await foreach (var payload in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                using var response = await _http.PostAsJsonAsync(_spec.Webhook, payload, WebhookJson.Default.WebhookPayload).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Delivered++;
                }
                else
                {
                    _log($"notify: {_spec.Webhook} answered {(int)response.StatusCode} {response.ReasonPhrase} to the {payload.Event} notification; check [notify] webhook");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // The network or the receiver failed (TaskCanceledException is HttpClient's timeout): notifications never stop research.
                _log($"notify: could not post the {payload.Event} notification to {_spec.Webhook} ({e.Message}); the run goes on");
            }
        }
    }

    private static string Number(double? value) => value is { } v ? v.ToString("0.######", CultureInfo.InvariantCulture) : "-";
}

/// <summary>
/// The JSON posted: <c>text</c> for Slack incoming webhooks (escaped for Slack); <c>topic</c>, <c>title</c>, <c>message</c>, <c>tags</c> for
/// ntfy's JSON publishing (topic left out when not configured); the rest for any other receiver.
/// </summary>
internal sealed record WebhookPayload(
    [property: JsonPropertyName("text")] string Text,
    [property: JsonPropertyName("topic"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Topic,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("tags")] string[] Tags,
    [property: JsonPropertyName("event")] string Event,
    [property: JsonPropertyName("run")] string? Run,
    [property: JsonPropertyName("metric")] string Metric,
    [property: JsonPropertyName("value")] double? Value,
    [property: JsonPropertyName("experiment")] int? Experiment,
    [property: JsonPropertyName("experiment_id")] long? ExperimentId);

[JsonSerializable(typeof(WebhookPayload))]
internal sealed partial class WebhookJson : JsonSerializerContext;
