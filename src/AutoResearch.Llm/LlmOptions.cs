using AutoResearch.Core;
using AutoResearch.Core.Spec;

namespace AutoResearch.Llm;

/// <summary>
/// How the <c>llm</c> proposer reaches its model and how much one experiment may spend. Validated once by
/// <see cref="Validate"/>, every problem reported together.
/// </summary>
public sealed record LlmOptions
{
    /// <summary>The environment variable holding the key for <see cref="LlmProvider.OpenAI"/>, unless <see cref="ApiKeyEnv"/> names another.</summary>
    public const string OpenAIKeyVariable = "OPENAI_API_KEY";

    /// <summary>The environment variable holding the key for <see cref="LlmProvider.Anthropic"/>, unless <see cref="ApiKeyEnv"/> names another.</summary>
    public const string AnthropicKeyVariable = "ANTHROPIC_API_KEY";

    /// <summary>The protocol; default OpenAI chat completions.</summary>
    public LlmProvider Provider { get; init; } = LlmProvider.OpenAI;

    /// <summary>The model's name as the endpoint knows it (<c>gpt-4.1</c>, <c>claude-sonnet-4-5</c>, <c>qwen2.5-coder:14b</c>). Required.</summary>
    public string Model { get; init; } = "";

    /// <summary>The endpoint; null for the provider's own (<c>https://api.openai.com/v1</c>, <c>https://api.anthropic.com</c>).</summary>
    public Uri? BaseUrl { get; init; }

    /// <summary>The environment variable holding the API key; null for <see cref="OpenAIKeyVariable"/> or <see cref="AnthropicKeyVariable"/>.</summary>
    public string? ApiKeyEnv { get; init; }

    /// <summary>The most tool calls in one experiment; default 40.</summary>
    public int MaxToolCalls { get; init; } = 40;

    /// <summary>The most tokens, read and written, in one experiment; default 300,000.</summary>
    public int MaxTokens { get; init; } = 300_000;

    /// <summary>The most tokens the model may write in one reply; default 8,192.</summary>
    public int MaxOutputTokens { get; init; } = 8_192;

    /// <summary>The limit on one HTTP request to the model; default 5 minutes.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The limit on one experiment's whole conversation (<c>[agent] timeout_seconds</c>); default 30 minutes.</summary>
    public TimeSpan TurnTimeout { get; init; } = AgentSpec.DefaultTimeout;

    /// <summary>How rate limits (429) and server errors (5xx) are retried.</summary>
    public RetryPolicy Retry { get; init; } = new();

    /// <summary>The environment variable the key is read from.</summary>
    public string KeyVariable => ApiKeyEnv ?? (Provider == LlmProvider.Anthropic ? AnthropicKeyVariable : OpenAIKeyVariable);

    /// <summary>
    /// The options from <c>[agent]</c>, with the command line's <c>--provider</c>, <c>--model</c> and <c>--base-url</c>
    /// (when given) taking precedence.
    /// </summary>
    /// <exception cref="SpecException">Every problem, together.</exception>
    public static LlmOptions Resolve(AgentSpec agent, string? provider, string? model, string? baseUrl, string source)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var problems = new List<string>();
        var providerName = provider ?? agent.Provider ?? "openai";
        var chosen = LlmProvider.OpenAI;
        switch (providerName)
        {
            case "openai":
                break;
            case "anthropic":
                chosen = LlmProvider.Anthropic;
                break;
            default:
                problems.Add($"--provider {providerName} must be openai (also for vLLM, llama.cpp, Ollama) or anthropic");
                break;
        }

        var url = agent.BaseUrl;
        if (baseUrl is not null)
        {
            if (Uri.TryCreate(baseUrl, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https")
            {
                url = parsed;
            }
            else
            {
                problems.Add($"--base-url {baseUrl} must be an http(s) URL, e.g. http://localhost:11434/v1");
            }
        }

        var defaults = new LlmOptions();
        var options = new LlmOptions
        {
            Provider = chosen,
            Model = model ?? agent.Model ?? "",
            BaseUrl = url,
            ApiKeyEnv = agent.ApiKeyEnv,
            MaxToolCalls = agent.MaxToolCalls ?? defaults.MaxToolCalls,
            MaxTokens = agent.MaxTokens ?? defaults.MaxTokens,
            TurnTimeout = agent.Timeout,
        };
        problems.AddRange(options.Validate());
        return problems.Count > 0 ? throw new SpecException(source, problems) : options;
    }

    /// <summary>Every problem with these options, each naming the flag or key to fix; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(Model))
        {
            problems.Add(Provider == LlmProvider.Anthropic
                ? "the llm agent needs a model: --model claude-sonnet-4-5 or [agent] model"
                : "the llm agent needs a model: --model gpt-4.1 (or the name your server knows, e.g. qwen2.5-coder:14b) or [agent] model");
        }

        if (BaseUrl is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
        {
            problems.Add($"--base-url {url} must be an http(s) URL, e.g. http://localhost:11434/v1");
        }

        if (ApiKeyEnv is { } env && (env.Length == 0 || env.Any(c => !(char.IsAsciiLetterOrDigit(c) || c == '_'))))
        {
            problems.Add($"[agent] api_key_env = \"{env}\" must be an environment variable's name (letters, digits, '_')");
        }

        if (MaxToolCalls < 1)
        {
            problems.Add($"[agent] max_tool_calls = {MaxToolCalls} must be at least 1");
        }

        if (MaxTokens < 1_000)
        {
            problems.Add($"[agent] max_tokens = {MaxTokens} must be at least 1000");
        }

        if (MaxOutputTokens < 1)
        {
            problems.Add($"the limit on one reply's tokens ({MaxOutputTokens}) must be at least 1");
        }

        if (TurnTimeout <= TimeSpan.Zero)
        {
            problems.Add($"[agent] timeout_seconds ({TurnTimeout.TotalSeconds}) must be positive");
        }

        if (RequestTimeout <= TimeSpan.Zero)
        {
            problems.Add($"the request timeout ({RequestTimeout}) must be positive");
        }

        problems.AddRange(Retry.Validate());
        return problems;
    }
}
