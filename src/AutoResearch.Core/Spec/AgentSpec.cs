namespace AutoResearch.Core.Spec;

/// <summary>The <c>[agent]</c> section: which proposer makes the changes and its settings.</summary>
/// <param name="Kind">The proposer: <c>search</c>, <c>llm</c> (an API model with tools) or <c>cli</c> (an external coding agent); null when unset.</param>
/// <param name="Command">For <c>cli</c>: the command template; <c>{prompt}</c> becomes the prompt file's path.</param>
/// <param name="Timeout">The limit on one proposal (the agent's turn); default 30 minutes.</param>
/// <param name="Settings">Every other key of the section, for proposers that take more settings.</param>
public sealed record AgentSpec(string? Kind, string? Command, TimeSpan Timeout, IReadOnlyDictionary<string, object> Settings)
{
    /// <summary>The default limit on one proposal: 30 minutes.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromMinutes(30);

    /// <summary>For <c>llm</c>: <c>openai</c> (any OpenAI-compatible endpoint) or <c>anthropic</c>; null when unset.</summary>
    public string? Provider { get; init; }

    /// <summary>For <c>llm</c>: the model's name as the endpoint knows it; null when unset.</summary>
    public string? Model { get; init; }

    /// <summary>For <c>llm</c>: the endpoint (e.g. <c>http://localhost:11434/v1</c> for Ollama); null for the provider's own.</summary>
    public Uri? BaseUrl { get; init; }

    /// <summary>For <c>llm</c>: the environment variable holding the API key; null for the provider's usual one.</summary>
    public string? ApiKeyEnv { get; init; }

    /// <summary>For <c>llm</c>: the most tool calls in one experiment; null for the default.</summary>
    public int? MaxToolCalls { get; init; }

    /// <summary>For <c>llm</c>: the most tokens (read and written) in one experiment; null for the default.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>An agent section with nothing set.</summary>
    public static AgentSpec Empty { get; } = new(null, null, DefaultTimeout, new Dictionary<string, object>());
}
