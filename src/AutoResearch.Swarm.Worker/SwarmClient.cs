using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;

namespace AutoResearch.Swarm.Worker;

/// <summary>
/// The worker's side of the protocol: every POST signed with the worker's key. A call that fails on the network, with a 5xx
/// or a 429 is retried with exponential backoff (capped, with jitter) and the same nonce, so a request that reached the
/// coordinator before the failure gets its stored reply instead of acting twice.
/// </summary>
public sealed class SwarmClient
{
    private readonly HttpClient _http;
    private readonly TimeProvider _time;

    /// <param name="http">Its BaseAddress is the coordinator.</param>
    /// <param name="key">The worker's key.</param>
    /// <param name="time">The clock requests are stamped with.</param>
    public SwarmClient(HttpClient http, WorkerKey key, TimeProvider? time = null)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        Key = key ?? throw new ArgumentNullException(nameof(key));
        _time = time ?? TimeProvider.System;
    }

    public WorkerKey Key { get; }

    /// <summary>The longest wait between retries. Default 30 s.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to keep retrying one call before giving up. Default 10 minutes.</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Requests sent, retries included (for the simulator's accounting).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    private long _requests;

    public Task<RegisterReply> RegisterAsync(RegisterRequest request, CancellationToken cancellationToken = default) =>
        PostAsync<RegisterRequest, RegisterReply>("/register", request, cancellationToken);

    public Task<LeaseReply> LeaseAsync(LeaseRequest request, CancellationToken cancellationToken = default) =>
        PostAsync<LeaseRequest, LeaseReply>("/leases", request, cancellationToken);

    public Task<ClaimReply> ClaimAsync(ClaimRequest request, CancellationToken cancellationToken = default) =>
        PostAsync<ClaimRequest, ClaimReply>("/claims", request, cancellationToken);

    public Task<Receipt> ReportVerificationAsync(VerificationReport report, CancellationToken cancellationToken = default) =>
        PostAsync<VerificationReport, Receipt>("/verifications", report, cancellationToken);

    public Task<Receipt> ReportMeasurementAsync(MeasurementReport report, CancellationToken cancellationToken = default) =>
        PostAsync<MeasurementReport, Receipt>("/measurements", report, cancellationToken);

    public Task<Receipt> ReportExperimentAsync(ExperimentReport report, CancellationToken cancellationToken = default) =>
        PostAsync<ExperimentReport, Receipt>("/experiments", report, cancellationToken);

    public Task<ProjectInfo> ProjectAsync(CancellationToken cancellationToken = default) => GetAsync<ProjectInfo>("/project", cancellationToken);

    public Task<HeadReply> HeadAsync(CancellationToken cancellationToken = default) => GetAsync<HeadReply>("/head", cancellationToken);

    public Task<List<ChainLink>> ChainAsync(long after, CancellationToken cancellationToken = default) =>
        GetAsync<List<ChainLink>>($"/chain?after={after}&limit=500", cancellationToken);

    /// <summary>The shared experiment log after entry <paramref name="after"/>, oldest first (at most <paramref name="limit"/>).</summary>
    public Task<List<LogEntry>> ExperimentsAsync(long after, int limit, CancellationToken cancellationToken = default) =>
        GetAsync<List<LogEntry>>($"/experiments?after={after}&limit={limit}", cancellationToken);

    public Task<List<LeaderboardEntry>> LeaderboardAsync(int offset, int limit, CancellationToken cancellationToken = default) =>
        GetAsync<List<LeaderboardEntry>>($"/leaderboard?offset={offset}&limit={limit}", cancellationToken);

    public Task<ClaimReply> ClaimStatusAsync(long id, CancellationToken cancellationToken = default) => GetAsync<ClaimReply>($"/claims/{id}", cancellationToken);

    /// <summary>Signs and sends one POST; retried as the class says.</summary>
    public async Task<TReply> PostAsync<TRequest, TReply>(string path, TRequest body, CancellationToken cancellationToken = default)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, SwarmJson.Options);
        var full = ProtocolVersion.Prefix + path;
        var nonce = CanonicalRequest.NewNonce();
        var issued = _time.GetUtcNow();
        return await WithRetriesAsync(async () =>
        {
            if (_time.GetUtcNow() - issued > TimeSpan.FromMinutes(4))
            {
                // The signature would soon be refused as stale: sign afresh. The first attempt can no longer be replayed either.
                nonce = CanonicalRequest.NewNonce();
                issued = _time.GetUtcNow();
            }

            using var message = Signed(HttpMethod.Post, full, bytes, issued, nonce);
            return await _http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }, (status, title) =>
        {
            if (status == (int)HttpStatusCode.Conflict && title == "in progress")
            {
                // The first attempt never finished at the coordinator: this is a new request, with a new nonce.
                nonce = CanonicalRequest.NewNonce();
                issued = _time.GetUtcNow();
                return true;
            }

            return false;
        }, async response => (await response.Content.ReadFromJsonAsync<TReply>(SwarmJson.Options, cancellationToken).ConfigureAwait(false))!,
        cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A signed request message, for callers that need the raw exchange (the simulator's replayers and forgers).</summary>
    public HttpRequestMessage Signed(HttpMethod method, string pathAndQuery, byte[] body, DateTimeOffset issued, string nonce)
    {
        var message = new HttpRequestMessage(method, pathAndQuery.TrimStart('/'));
        message.Content = new ByteArrayContent(body);
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in Key.Sign(method.Method, pathAndQuery, body, issued, nonce))
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        return message;
    }

    private Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        WithRetriesAsync(
            () => _http.GetAsync((ProtocolVersion.Prefix + path).TrimStart('/'), cancellationToken),
            (_, _) => false,
            async response => (await response.Content.ReadFromJsonAsync<T>(SwarmJson.Options, cancellationToken).ConfigureAwait(false))!,
            cancellationToken);

    private async Task<T> WithRetriesAsync<T>(
        Func<Task<HttpResponseMessage>> send, Func<int, string, bool> retryAnyway, Func<HttpResponseMessage, Task<T>> read,
        CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            Interlocked.Increment(ref _requests);
            HttpResponseMessage? response = null;
            try
            {
                response = await send().ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return await read(response).ConfigureAwait(false);
                }

                var status = (int)response.StatusCode;
                if (status is < 500 and not 429)
                {
                    var problem = await ProblemAsync(response, cancellationToken).ConfigureAwait(false);
                    if (!retryAnyway(status, problem.Title))
                    {
                        throw new SwarmCallException(status, problem.Title, problem.Detail);
                    }
                }

                if (response.Headers.RetryAfter?.Delta is { } after && after > delay)
                {
                    delay = after;
                }
            }
            catch (HttpRequestException) when (_time.GetElapsedTime(started) < GiveUpAfter && !cancellationToken.IsCancellationRequested)
            {
                // The coordinator is down or restarting, or the network failed: wait and try again.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested && _time.GetElapsedTime(started) < GiveUpAfter)
            {
                // HttpClient's own timeout: the coordinator is overloaded or gone; same as a network failure.
            }
            finally
            {
                response?.Dispose();
            }

            if (_time.GetElapsedTime(started) >= GiveUpAfter)
            {
                throw new SwarmCallException(503, "unreachable", $"no answer from {_http.BaseAddress} for {GiveUpAfter.TotalMinutes:0} minutes; check that the coordinator runs");
            }

            var jitter = 0.5 + Random.Shared.NextDouble();
            await Task.Delay(TimeSpan.FromMilliseconds(delay.TotalMilliseconds * jitter), _time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, delay.TotalMilliseconds * 2));
        }
    }

    private static async Task<(string Title, string Detail)> ProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken).ConfigureAwait(false);
            var title = problem.TryGetProperty("title", out var t) ? t.GetString() : null;
            var detail = problem.TryGetProperty("detail", out var d) ? d.GetString() : null;
            return (title ?? response.ReasonPhrase ?? "error", detail ?? "");
        }
        catch (JsonException)
        {
            // Not ProblemDetails (a proxy's page): report the status line.
            return (response.ReasonPhrase ?? "error", "");
        }
    }
}
