using System.Globalization;
using System.Text;
using AutoResearch.Swarm.Coordinator.Storage;
using AutoResearch.Swarm.Protocol;
using Microsoft.AspNetCore.Http;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// Admits a signed request (every POST under <c>/v1</c>) only when: its body is within the size limit; the signature headers
/// are present and well-formed; the issue time is within the allowed skew; the Ed25519 signature over
/// <see cref="CanonicalRequest"/> verifies; the key is registered (except to register); the key is within its rate; and the
/// nonce is new; a new key's registration also within the per-address and overall registration rates. A reused nonce gets
/// the reply stored for its first use, and nothing happens twice.
/// </summary>
internal sealed class RequestGate(
    Coordinator coordinator, SwarmDatabase db, RateLimiter limiter, Registrations registrations, CoordinatorOptions options, TimeProvider time)
{
    public const string CallerItem = "swarm.caller";
    public const string KeyItem = "swarm.key";

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method) || !request.Path.StartsWithSegments(ProtocolVersion.Prefix, StringComparison.Ordinal))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var ct = context.RequestAborted;
        if (request.ContentLength > options.MaxBodyBytes)
        {
            await RefuseAsync(context, 413, "body too large", $"body of {request.ContentLength} bytes is over the limit of {options.MaxBodyBytes}").ConfigureAwait(false);
            return;
        }

        string? key = request.Headers[SignedHeaders.Key], timeText = request.Headers[SignedHeaders.Time];
        string? nonce = request.Headers[SignedHeaders.Nonce], signature = request.Headers[SignedHeaders.Signature];
        if (key is null || timeText is null || nonce is null || signature is null)
        {
            await RefuseAsync(context, 401, "unsigned",
                $"every POST needs {SignedHeaders.Key}, {SignedHeaders.Time}, {SignedHeaders.Nonce} and {SignedHeaders.Signature}; use `autoresearch worker`").ConfigureAwait(false);
            return;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (!long.TryParse(timeText, NumberStyles.None, CultureInfo.InvariantCulture, out var issued)
            || Math.Abs(now - issued) > options.MaxClockSkew.TotalMilliseconds)
        {
            await RefuseAsync(context, 401, "stale request",
                $"issue time {timeText} is more than {options.MaxClockSkew.TotalMinutes:0} minutes from the coordinator's {now}; check the worker's clock").ConfigureAwait(false);
            return;
        }

        if (!CanonicalRequest.IsNonce(nonce))
        {
            await RefuseAsync(context, 401, "bad nonce", "the nonce must be 32 lowercase hex digits (128 random bits)").ConfigureAwait(false);
            return;
        }

        var body = await ReadBodyAsync(request, options.MaxBodyBytes, ct).ConfigureAwait(false);
        if (body is null)
        {
            await RefuseAsync(context, 413, "body too large", $"body is over the limit of {options.MaxBodyBytes} bytes").ConfigureAwait(false);
            return;
        }

        var canonical = CanonicalRequest.Build(request.Method, request.Path + request.QueryString, body, issued, nonce, key);
        if (!WorkerKey.Verify(key, canonical, signature))
        {
            await RefuseAsync(context, 401, "bad signature", "the signature does not verify for this key over method, path, body hash, time and nonce").ConfigureAwait(false);
            return;
        }

        if (!limiter.TryTake(key))
        {
            context.Response.Headers.RetryAfter = "1";
            await RefuseAsync(context, 429, "rate limited", $"more than {options.RequestsPerSecond} requests per second from this key; back off").ConfigureAwait(false);
            return;
        }

        var registering = request.Path.Equals(ProtocolVersion.Prefix + "/register", StringComparison.Ordinal);
        if (registering && await coordinator.FindAsync(key, ct).ConfigureAwait(false) is null
            && registrations.TryTake(context.Connection.RemoteIpAddress) is { } limited)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(limited.RetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await RefuseAsync(context, 429, "registration limited", limited.Detail).ConfigureAwait(false);
            return;
        }

        if (request.Path.Equals(ProtocolVersion.Prefix + "/claims", StringComparison.Ordinal))
        {
            // git reads the claim here, outside the transaction: on SQLite it holds the only writer lock.
            await coordinator.PrepareClaimAsync(key, body, ct).ConfigureAwait(false);
        }

        context.Items[KeyItem] = key;
        var original = context.Response.Body;
        using var captured = new MemoryStream();
        // One transaction for the whole request: the caller's row, the nonce, the handler's changes and the stored reply
        // commit together, so a request happens once with its reply on record, or not at all (a crash leaves no half).
        var outcome = await db.InRequestAsync(async session =>
        {
            var caller = registering ? null : await coordinator.FindAsync(key, ct).ConfigureAwait(false);
            if (!registering && caller is null)
            {
                return Outcome.UnknownKey;
            }

            var reservation = await NonceLedger.ReserveAsync(session, key, nonce, now, ct).ConfigureAwait(false);
            if (!reservation.Fresh)
            {
                return new Outcome(true, reservation);
            }

            if (caller is not null)
            {
                context.Items[CallerItem] = caller;
            }

            // Fresh state for each attempt: a deadlock runs the whole request again.
            request.Body = new MemoryStream(body, writable: false);
            request.ContentLength = body.Length;
            captured.SetLength(0);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = null;
            context.Response.Body = captured;
            try
            {
                await next(context).ConfigureAwait(false);
            }
            finally
            {
                context.Response.Body = original;
            }

            var reply = Encoding.UTF8.GetString(captured.GetBuffer(), 0, (int)captured.Length);
            await NonceLedger.CompleteAsync(session, key, nonce, context.Response.StatusCode, reply, ct).ConfigureAwait(false);
            return Outcome.Handled;
        }, ct).ConfigureAwait(false);

        if (!outcome.KnownKey)
        {
            await RefuseAsync(context, 401, "unknown key", "this key is not registered; POST /v1/register first").ConfigureAwait(false);
            return;
        }

        if (outcome.Replay is { } replay)
        {
            if (replay.Status is not { } status)
            {
                await RefuseAsync(context, 409, "in progress", "a request with this nonce did not finish; retry with a new nonce").ConfigureAwait(false);
                return;
            }

            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            context.Response.Headers[SignedHeaders.Replayed] = "true";
            await context.Response.WriteAsync(replay.Reply ?? "", ct).ConfigureAwait(false);
            return;
        }

        // Committed before the reply leaves: a client that lost the reply and replays gets this one.
        captured.Position = 0;
        await captured.CopyToAsync(original, ct).ConfigureAwait(false);
    }

    /// <summary>What the request's transaction decided: handled (the reply is captured), an unknown key, or a replay.</summary>
    private sealed record Outcome(bool KnownKey, NonceLedger.Reservation? Replay)
    {
        public static readonly Outcome Handled = new(true, null);
        public static readonly Outcome UnknownKey = new(false, null);
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int max, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    internal static Task RefuseAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return Results.Problem(detail: detail, statusCode: status, title: title).ExecuteAsync(context);
    }
}
