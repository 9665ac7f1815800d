namespace AutoResearch.Llm;

/// <summary>The wire protocol a model is reached over.</summary>
public enum LlmProvider
{
    /// <summary>OpenAI chat completions: OpenAI itself, and servers that speak it (vLLM, the llama.cpp server, Ollama).</summary>
    OpenAI,

    /// <summary>Anthropic's Messages API, through the official SDK.</summary>
    Anthropic,
}
