using System.Text;
using Microsoft.AspNetCore.Http;

namespace AutoResearch.Web.Dashboard;

/// <summary>
/// The event stream behind live pages (server-sent events): polls the sources' versions and sends
/// <c>event: change</c> whenever they move, so the page re-fetches its main content. A comment every 15 s keeps
/// proxies from closing the connection.
/// </summary>
internal static class LiveUpdates
{
    private static readonly TimeSpan s_keepAlive = TimeSpan.FromSeconds(15);

    /// <param name="context">The request; <c>?since=VERSION</c> is the version the page was rendered at.</param>
    /// <param name="version">Reads the current version.</param>
    /// <param name="interval">How often to poll.</param>
    /// <param name="time">The clock.</param>
    public static async Task StreamAsync(HttpContext context, Func<CancellationToken, ValueTask<string>> version, TimeSpan interval, TimeProvider time)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        var cancellationToken = context.RequestAborted;
        string? last = context.Request.Query["since"];
        var quiet = time.GetTimestamp();
        await WriteAsync(response, "retry: 2000\n\n", cancellationToken).ConfigureAwait(false);
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            do
            {
                var now = await version(cancellationToken).ConfigureAwait(false);
                if (now != last)
                {
                    // A page rendered before a change it has not seen (or a first connection without ?since) refreshes at once.
                    await WriteAsync(response, $"event: change\ndata: {now}\n\n", cancellationToken).ConfigureAwait(false);
                    last = now;
                    quiet = time.GetTimestamp();
                }
                else if (time.GetElapsedTime(quiet) > s_keepAlive)
                {
                    await WriteAsync(response, ": keep-alive\n\n", cancellationToken).ConfigureAwait(false);
                    quiet = time.GetTimestamp();
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The page closed or the server is stopping: the normal end of a stream.
        }
    }

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        await response.Body.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
