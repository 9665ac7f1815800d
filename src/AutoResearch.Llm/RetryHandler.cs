using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;

namespace AutoResearch.Llm;

/// <summary>
/// Sits under the provider SDK's HTTP client (whose own retries are off): retries rate limits (429), server errors
/// (5xx), broken connections and per-attempt timeouts with exponential backoff, honouring <c>Retry-After</c> and
/// <c>retry-after-ms</c>; turns every answer that stays an error into a <see cref="ModelApiException"/> that says
/// what to fix, so both providers fail the same way.
/// </summary>
internal sealed class RetryHandler : DelegatingHandler
{
    private readonly RetryPolicy _policy;
    private readonly TimeSpan _attemptTimeout;
    private readonly TimeProvider _time;
    private readonly string _endpoint;
    private readonly string _keyVariable;
    private readonly string _answerArray;

    /// <param name="answerArray">The array every chat answer of the provider has at its top level (<c>choices</c>, <c>content</c>).</param>
    public RetryHandler(
        RetryPolicy policy, TimeSpan attemptTimeout, TimeProvider time, string endpoint, string keyVariable, string answerArray, HttpMessageHandler inner)
        : base(inner)
    {
        _answerArray = answerArray;
        _policy = policy;
        _attemptTimeout = attemptTimeout;
        _time = time;
        _endpoint = endpoint;
        _keyVariable = keyVariable;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        // The body is read once so every attempt sends the same bytes, whatever kind of content the SDK built.
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            var copy = Copy(request, body);
            HttpResponseMessage response;
            using (var timeout = new CancellationTokenSource(_attemptTimeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
            {
                try
                {
                    response = await base.SendAsync(copy, linked.Token).ConfigureAwait(false);
                    if (response.IsSuccessStatusCode)
                    {
                        // The SDK reads the body after this returns; buffering it here keeps the attempt's timeout honest.
                        await response.Content.LoadIntoBufferAsync(linked.Token).ConfigureAwait(false);
                    }
                }
                catch (HttpRequestException e)
                {
                    // Refused, reset or unreachable: the server may be restarting; retried like a 503.
                    if (attempt >= _policy.MaxRetries)
                    {
                        throw new ModelApiException(
                            $"could not reach the model at {_endpoint} after {attempt + 1} attempt(s): {e.Message}; check --base-url and that the server is up",
                            null, e, unreachable: true);
                    }

                    await WaitAsync(attempt, null, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch (OperationCanceledException e) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // Our per-attempt timeout, not the caller's cancellation.
                    if (attempt >= _policy.MaxRetries)
                    {
                        throw new ModelApiException(
                            $"the model at {_endpoint} did not answer within {_attemptTimeout.TotalSeconds:0} s, {attempt + 1} time(s)", null, e);
                    }

                    await WaitAsync(attempt, null, cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }

            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                await CheckAnswerAsync(response, cancellationToken).ConfigureAwait(false);
                return response;
            }

            if ((status == 429 || status >= 500) && attempt < _policy.MaxRetries)
            {
                var retryAfter = RetryAfter(response.Headers, _time.GetUtcNow());
                response.Dispose();
                await WaitAsync(attempt, retryAfter, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var said = await Snippet(response, cancellationToken).ConfigureAwait(false);
            response.Dispose();
            throw new ModelApiException(Explain(status, response.ReasonPhrase, said, attempt), status);
        }
    }

    /// <summary>
    /// Refuses a 2xx answer that is not a chat response (a proxy's login page, a half-implemented API) before the SDK
    /// trips over it with an exception of its own.
    /// </summary>
    private async Task CheckAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(_answerArray, out var answers)
                && answers.ValueKind == JsonValueKind.Array
                && (_answerArray != "choices" || answers.GetArrayLength() > 0))
            {
                return;
            }
        }
        catch (JsonException)
        {
            // Not JSON at all: reported below like any other answer of the wrong shape.
        }

        var said = text.ReplaceLineEndings(" ").Trim();
        response.Dispose();
        throw new ModelApiException(
            $"the model at {_endpoint} answered {(int)response.StatusCode} with something that is not a chat response " +
            $"({(said.Length <= 200 ? said : said[..200] + "…")}); check --base-url (OpenAI-compatible servers usually end in /v1)",
            (int)response.StatusCode);
    }

    private string Explain(int status, string? reason, string said, int attempt) => status switch
    {
        401 or 403 => $"the model at {_endpoint} refused the credentials ({status} {reason}: {said}); " +
            $"check the API key in the environment variable {_keyVariable} (or name another one with [agent] api_key_env)",
        404 => $"the model at {_endpoint} answered 404 {reason} ({said}); check --model and --base-url",
        429 => $"the model at {_endpoint} kept rate-limiting after {attempt + 1} attempts (429: {said}); wait, or lower the request rate",
        >= 500 => $"the model at {_endpoint} kept failing after {attempt + 1} attempts ({status} {reason}: {said})",
        _ => $"the model at {_endpoint} refused the request ({status} {reason}: {said})",
    };

    private async Task WaitAsync(int attempt, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        await Task.Delay(_policy.Delay(attempt, retryAfter), _time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The wait the server asked for: <c>retry-after-ms</c> (OpenAI), else <c>Retry-After</c> in seconds or as a date.</summary>
    internal static TimeSpan? RetryAfter(HttpResponseHeaders headers, DateTimeOffset now)
    {
        if (headers.TryGetValues("retry-after-ms", out var ms)
            && double.TryParse(ms.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0)
        {
            return TimeSpan.FromMilliseconds(milliseconds);
        }

        return headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
            _ => null,
        };
    }

    private static HttpRequestMessage Copy(HttpRequestMessage request, byte[]? body)
    {
        var copy = new HttpRequestMessage(request.Method, request.RequestUri) { Version = request.Version, VersionPolicy = request.VersionPolicy };
        foreach (var (name, values) in request.Headers)
        {
            copy.Headers.TryAddWithoutValidation(name, values);
        }

        if (body is not null)
        {
            copy.Content = new ByteArrayContent(body);
            foreach (var (name, values) in request.Content!.Headers)
            {
                copy.Content.Headers.TryAddWithoutValidation(name, values);
            }
        }

        foreach (var (key, value) in request.Options)
        {
            copy.Options.Set(new HttpRequestOptionsKey<object?>(key), value);
        }

        return copy;
    }

    private static async Task<string> Snippet(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            // The error body is a courtesy; the status already says what failed.
            return "no body";
        }

        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length == 0 ? "no body" : text.Length <= 300 ? text : text[..300] + "…";
    }
}
