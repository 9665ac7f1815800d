using System.Text.Json;
using System.Text.Json.Nodes;

namespace AutoResearch.Llm.Tests.Support;

/// <summary>A tool call the scripted model makes.</summary>
internal sealed record Call(string Name, object Arguments);

/// <summary>
/// A provider's wire format, as its real API speaks it: the replies a scripted model sends (tool calls, text, errors)
/// and how to find, in the requests the proposer sent, the tool results the model was shown.
/// </summary>
internal abstract class Wire
{
    private int _ids;

    public static Wire For(LlmProvider provider) => provider == LlmProvider.Anthropic ? new AnthropicWire() : new OpenAIWire();

    public abstract LlmProvider Provider { get; }

    /// <summary>The environment variable that holds this provider's key.</summary>
    public abstract string KeyVariable { get; }

    /// <summary>The path the SDK posts to.</summary>
    public abstract string RequestPath { get; }

    /// <summary>The base URL to give the proposer for <paramref name="server"/>.</summary>
    public abstract Uri BaseUrl(FakeModelServer server);

    /// <summary>A reply that calls tools (each reply reports 100 input and 20 output tokens).</summary>
    public abstract Reply ToolCalls(params Call[] calls);

    /// <summary>A reply with text only.</summary>
    public abstract Reply Text(string text);

    /// <summary>An error reply in the provider's error format.</summary>
    public abstract Reply Error(int status, string message, IReadOnlyDictionary<string, string>? headers = null);

    /// <summary>The tool results (as text) contained in a request body, oldest first.</summary>
    public abstract IReadOnlyList<string> ToolResults(string requestBody);

    /// <summary>The text of every user message in a request body.</summary>
    public abstract IReadOnlyList<string> UserTexts(string requestBody);

    /// <summary>The API key a request carried, in the provider's header.</summary>
    public abstract string? SentKey(ReceivedRequest request);

    /// <summary>The system prompt of a request body.</summary>
    public abstract string SystemText(string requestBody);

    /// <summary>The names of the tools a request declares.</summary>
    public abstract IReadOnlyList<string> ToolNames(string requestBody);

    /// <summary>
    /// What the real API would refuse with a 400 in a request body, or null: a tool result that answers no tool call of the
    /// assistant turn before it, or a tool call left unanswered.
    /// </summary>
    public abstract string? Problem(string requestBody);

    protected string NextId(string prefix) => $"{prefix}{++_ids}";

    protected static string Serialize(object value) => JsonSerializer.Serialize(value);

    protected static string TextOf(JsonNode? content) => content switch
    {
        JsonValue v => v.GetValue<string>(),
        JsonArray parts => string.Concat(parts.Select(p => p?["text"]?.GetValue<string>() ?? "")),
        _ => "",
    };
}

/// <summary>OpenAI chat completions: <c>choices[0].message.tool_calls</c> with JSON-encoded arguments; results as <c>role: tool</c> messages.</summary>
internal sealed class OpenAIWire : Wire
{
    public override LlmProvider Provider => LlmProvider.OpenAI;

    public override string KeyVariable => "OPENAI_API_KEY";

    public override string RequestPath => "/v1/chat/completions";

    public override Uri BaseUrl(FakeModelServer server) => new(server.Root, "/v1");

    public override Reply ToolCalls(params Call[] calls) => Completion(
        new { role = "assistant", content = (string?)null, tool_calls = calls.Select(c => new { id = NextId("call_"), type = "function", function = new { name = c.Name, arguments = Serialize(c.Arguments) } }) },
        "tool_calls");

    public override Reply Text(string text) => Completion(new { role = "assistant", content = text }, "stop");

    public override Reply Error(int status, string message, IReadOnlyDictionary<string, string>? headers = null) =>
        new(status, Serialize(new { error = new { message, type = status == 429 ? "rate_limit_exceeded" : "invalid_request_error", code = (string?)null } }), headers);

    public override IReadOnlyList<string> ToolResults(string requestBody) =>
        Messages(requestBody).Where(m => m?["role"]?.GetValue<string>() == "tool").Select(m => TextOf(m!["content"])).ToList();

    public override IReadOnlyList<string> UserTexts(string requestBody) =>
        Messages(requestBody).Where(m => m?["role"]?.GetValue<string>() == "user").Select(m => TextOf(m!["content"])).ToList();

    public override string? SentKey(ReceivedRequest request) =>
        request.Headers.TryGetValue("authorization", out var value) && value.StartsWith("Bearer ", StringComparison.Ordinal) ? value[7..] : null;

    public override string SystemText(string requestBody) =>
        string.Concat(Messages(requestBody).Where(m => m?["role"]?.GetValue<string>() is "system" or "developer").Select(m => TextOf(m!["content"])));

    public override IReadOnlyList<string> ToolNames(string requestBody) =>
        JsonNode.Parse(requestBody)!["tools"]!.AsArray().Select(t => t!["function"]!["name"]!.GetValue<string>()).ToList();

    public override string? Problem(string requestBody)
    {
        var open = new HashSet<string>();
        foreach (var m in Messages(requestBody))
        {
            var role = m!["role"]!.GetValue<string>();
            if (role == "tool")
            {
                var id = m["tool_call_id"]?.GetValue<string>() ?? "";
                if (!open.Remove(id))
                {
                    return $"tool message answers unknown tool_call_id {id}";
                }
            }
            else if (open.Count > 0)
            {
                return $"tool calls {string.Join(", ", open)} were not answered";
            }

            foreach (var call in m["tool_calls"]?.AsArray() ?? [])
            {
                open.Add(call!["id"]!.GetValue<string>());
            }
        }

        return null;
    }

    private static JsonArray Messages(string body) => JsonNode.Parse(body)!["messages"]!.AsArray();

    private Reply Completion(object message, string finish) => new(200, Serialize(new
    {
        id = NextId("chatcmpl-"),
        @object = "chat.completion",
        created = 1_764_300_000,
        model = "test-model",
        choices = new[] { new { index = 0, message, finish_reason = finish, logprobs = (object?)null } },
        usage = new { prompt_tokens = 100, completion_tokens = 20, total_tokens = 120 },
    }));
}

/// <summary>Anthropic Messages: <c>tool_use</c> content blocks with JSON input; results as <c>tool_result</c> blocks in a user message.</summary>
internal sealed class AnthropicWire : Wire
{
    public override LlmProvider Provider => LlmProvider.Anthropic;

    public override string KeyVariable => "ANTHROPIC_API_KEY";

    public override string RequestPath => "/v1/messages";

    public override Uri BaseUrl(FakeModelServer server) => server.Root;

    public override Reply ToolCalls(params Call[] calls) =>
        Message(calls.Select(c => (object)new { type = "tool_use", id = NextId("toolu_"), name = c.Name, input = c.Arguments }).ToArray(), "tool_use");

    public override Reply Text(string text) => Message([new { type = "text", text }], "end_turn");

    public override Reply Error(int status, string message, IReadOnlyDictionary<string, string>? headers = null) =>
        new(status, Serialize(new
        {
            type = "error",
            error = new { type = status switch { 401 => "authentication_error", 429 => "rate_limit_error", >= 500 => "api_error", _ => "invalid_request_error" }, message },
        }), headers);

    public override IReadOnlyList<string> ToolResults(string requestBody) =>
        Messages(requestBody).Where(m => m?["role"]?.GetValue<string>() == "user" && m["content"] is JsonArray)
            .SelectMany(m => m!["content"]!.AsArray())
            .Where(b => b?["type"]?.GetValue<string>() == "tool_result")
            .Select(b => TextOf(b!["content"]))
            .ToList();

    public override IReadOnlyList<string> UserTexts(string requestBody) =>
        Messages(requestBody).Where(m => m?["role"]?.GetValue<string>() == "user")
            .Select(m => m!["content"] is JsonArray blocks
                ? string.Concat(blocks.Where(b => b?["type"]?.GetValue<string>() == "text").Select(b => b!["text"]!.GetValue<string>()))
                : TextOf(m["content"]))
            .ToList();

    /// <summary>The SDK (13.x) sends the key as <c>Authorization: Bearer</c>; the API also takes <c>x-api-key</c>.</summary>
    public override string? SentKey(ReceivedRequest request) =>
        request.Headers.TryGetValue("x-api-key", out var key) ? key
        : request.Headers.TryGetValue("authorization", out var value) && value.StartsWith("Bearer ", StringComparison.Ordinal) ? value[7..]
        : null;

    public override string SystemText(string requestBody) => TextOf(JsonNode.Parse(requestBody)!["system"]);

    public override IReadOnlyList<string> ToolNames(string requestBody) =>
        JsonNode.Parse(requestBody)!["tools"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).ToList();

    public override string? Problem(string requestBody)
    {
        if (JsonNode.Parse(requestBody)!["max_tokens"] is null)
        {
            return "max_tokens is required";
        }

        var open = new HashSet<string>();
        foreach (var m in Messages(requestBody))
        {
            var blocks = m!["content"] as JsonArray ?? [];
            var results = blocks.Where(b => b?["type"]?.GetValue<string>() == "tool_result").Select(b => b!["tool_use_id"]!.GetValue<string>()).ToList();
            if (results.Any(id => !open.Contains(id)))
            {
                return "tool_result answers no tool_use of the previous assistant turn";
            }

            if (open.Count > 0 && !open.SetEquals(results))
            {
                return "tool_use blocks must each get a tool_result in the next user turn";
            }

            open = blocks.Where(b => b?["type"]?.GetValue<string>() == "tool_use").Select(b => b!["id"]!.GetValue<string>()).ToHashSet();
        }

        return null;
    }

    private static JsonArray Messages(string body) => JsonNode.Parse(body)!["messages"]!.AsArray();

    private Reply Message(object[] content, string stopReason) => new(200, Serialize(new
    {
        id = NextId("msg_"),
        type = "message",
        role = "assistant",
        model = "test-model",
        content,
        stop_reason = stopReason,
        stop_sequence = (string?)null,
        usage = new { input_tokens = 100, output_tokens = 20 },
    }));
}
