using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;

namespace AutoResearch.Llm.Tests.Support;

/// <summary>One scripted answer: a status, headers and a JSON body.</summary>
internal sealed record Reply(int Status, string Body, IReadOnlyDictionary<string, string>? Headers = null);

/// <summary>A request the server received.</summary>
internal sealed record ReceivedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// A model endpoint on loopback (a real HTTP server, <see cref="HttpListener"/>) that answers each request with the next
/// reply of its script, in the provider's real wire format (<see cref="Wire"/>), and records what it was sent. When the
/// script runs out it answers 400, which the proposer reports as a failed proposal.
/// </summary>
internal sealed class FakeModelServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<Reply> _script = new();
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();
    private readonly HttpListener _listener;
    private readonly Task _serving;
    private readonly Func<string, string?> _validate;

    /// <param name="validate">Returns what the real API would refuse in a request body (answered 400 without using the script), or null.</param>
    public FakeModelServer(Func<string, string?>? validate = null)
    {
        _validate = validate ?? (_ => null);
        (_listener, Port) = Listen();
        _serving = Task.Run(ServeAsync);
    }

    /// <summary>
    /// Starts a listener on a free loopback port. Ports come from below Linux's ephemeral range (32768 and up), where
    /// the client connections of tests running in parallel take theirs; a port in use is skipped.
    /// </summary>
    private static (HttpListener, int) Listen()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return (listener, port);
            }
            catch (HttpListenerException) when (attempt < 50)
            {
                // Taken by another test or process: try another.
                listener.Close();
            }
        }
    }

    public int Port { get; }

    public Uri Root => new($"http://127.0.0.1:{Port}");

    /// <summary>Everything received so far, in order.</summary>
    public IReadOnlyList<ReceivedRequest> Received => [.. _received];

    /// <summary>Appends replies to the script.</summary>
    public void Enqueue(params Reply[] replies)
    {
        foreach (var reply in replies)
        {
            _script.Enqueue(reply);
        }
    }

    /// <summary>Replies not yet used.</summary>
    public int Left => _script.Count;

    private async Task ServeAsync()
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
                return; // Stopped.
            }
            catch (ObjectDisposedException)
            {
                return; // Stopped.
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.AllKeys.OfType<string>()
                .ToDictionary(k => k.ToLowerInvariant(), k => context.Request.Headers[k] ?? "");
            _received.Enqueue(new ReceivedRequest(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, headers, body));

            var problem = _validate(body);
            var reply = problem is not null
                ? new Reply(400, JsonSerializer.Serialize(new { error = new { message = "invalid request: " + problem, type = "invalid_request_error" } }))
                : _script.TryDequeue(out var next)
                ? next
                : new Reply(400, """{"error":{"message":"the test script has no more replies","type":"invalid_request_error"}}""");
            context.Response.StatusCode = reply.Status;
            context.Response.ContentType = "application/json";
            foreach (var (name, value) in reply.Headers ?? new Dictionary<string, string>())
            {
                context.Response.Headers[name] = value;
            }

            var bytes = Encoding.UTF8.GetBytes(reply.Body);
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Close alone: Stop followed by Close unregisters the port twice, and the second time may bind it anew.
        _listener.Close();
        await _serving;
    }
}
