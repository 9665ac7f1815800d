using System.ClientModel;
using System.ClientModel.Primitives;
using Anthropic;
using AutoResearch.Core;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;

namespace AutoResearch.Llm;

/// <summary>
/// Makes the <see cref="IChatClient"/> for a provider: OpenAI's SDK for OpenAI-compatible endpoints, the official
/// Anthropic SDK for Anthropic. Both send through one <see cref="HttpClient"/> whose <see cref="RetryHandler"/>
/// owns retries (the SDKs' own are turned off, so waits do not multiply) and error messages.
/// </summary>
internal static class ModelClient
{
    /// <summary>Where a provider's requests go when no base URL is given.</summary>
    public static Uri DefaultEndpoint(LlmProvider provider) =>
        provider == LlmProvider.Anthropic ? new Uri("https://api.anthropic.com") : new Uri("https://api.openai.com/v1");

    /// <summary>The API key from <see cref="LlmOptions.KeyVariable"/>; a local OpenAI-compatible server gets a placeholder when none is set.</summary>
    /// <exception cref="SpecException">The key is needed and the variable is empty.</exception>
    public static string ApiKey(LlmOptions options, Func<string, string?> environment)
    {
        var key = environment(options.KeyVariable);
        if (!string.IsNullOrWhiteSpace(key))
        {
            return key.Trim();
        }

        if (options.Provider == LlmProvider.OpenAI && options.BaseUrl is { } url && !url.Host.EndsWith("openai.com", StringComparison.OrdinalIgnoreCase))
        {
            // Ollama, vLLM and the llama.cpp server accept any key unless started with one.
            return "no-key";
        }

        throw new SpecException("environment", [
            $"the llm agent needs an API key in the environment variable {options.KeyVariable}: export {options.KeyVariable}=... " +
            "(or name another variable with [agent] api_key_env)"]);
    }

    /// <summary>
    /// Builds the chat client and the HTTP client under it (the caller disposes both). <paramref name="handler"/> is the
    /// innermost HTTP handler (a real socket handler by default).
    /// </summary>
    public static (IChatClient Client, HttpClient Http) Create(
        LlmOptions options, string apiKey, TimeProvider time, HttpMessageHandler? handler = null)
    {
        var endpoint = options.BaseUrl ?? DefaultEndpoint(options.Provider);
        var retries = new RetryHandler(options.Retry, options.RequestTimeout, time, endpoint.ToString(), options.KeyVariable,
            options.Provider == LlmProvider.Anthropic ? "content" : "choices",
            handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        // Each attempt has its own timeout inside the handler; the SDKs' limits only catch a hang beyond every retry.
        var http = new HttpClient(retries) { Timeout = Timeout.InfiniteTimeSpan };
        var policy = options.Retry;
        var allRetries = (options.RequestTimeout * (policy.MaxRetries + 1)) + (policy.MaxDelay * policy.MaxRetries) + TimeSpan.FromMinutes(1);
        if (options.Provider == LlmProvider.Anthropic)
        {
            var anthropic = new AnthropicClient
            {
                ApiKey = apiKey,
                BaseUrl = endpoint.ToString().TrimEnd('/'),
                HttpClient = http,
                MaxRetries = 0,
                Timeout = allRetries,
            };
            return (anthropic.AsIChatClient(options.Model, options.MaxOutputTokens), http);
        }

        var openAI = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = allRetries,
        };
        return (new ChatClient(options.Model, new ApiKeyCredential(apiKey), openAI).AsIChatClient(), http);
    }
}
