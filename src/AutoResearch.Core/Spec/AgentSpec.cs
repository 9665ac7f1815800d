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

    /// <summary>
    /// For <c>cli</c>: <c>[agent] sandbox</c>, how the agent is isolated: <see cref="SandboxKind.Bwrap"/> (the default) or
    /// <see cref="SandboxKind.None"/>, which the user must write in so many words to run an agent with their own rights.
    /// </summary>
    public SandboxKind Sandbox { get; init; } = SandboxKind.Bwrap;

    /// <summary>True when <c>[agent] sandbox</c> was written in the spec (so a missing bwrap is the user's informed choice, not a default).</summary>
    public bool SandboxExplicit { get; init; }

    /// <summary>For <c>cli</c>: <c>[agent] network</c>, whether the sandboxed agent may reach the network (its model's API); default true.</summary>
    public bool Network { get; init; } = true;

    /// <summary>
    /// For <c>cli</c>: <c>[agent] writable</c>, more paths the sandboxed agent may write (<c>~</c> is the home folder), beside
    /// the worktree and the agent's configuration folders that exist (<see cref="DefaultWritable"/>).
    /// </summary>
    public IReadOnlyList<string> Writable { get; init; } = [];

    /// <summary>
    /// The agent configuration folders a sandboxed agent may write where they exist: Claude Code's, Codex's, Aider's, npm's
    /// cache (for agents started with npx). Not <c>~/.cache</c>: data caches live there (tiny shakespeare does).
    /// </summary>
    public static IReadOnlyList<string> DefaultWritable { get; } = ["~/.claude", "~/.claude.json", "~/.codex", "~/.aider", "~/.npm"];

    /// <summary>
    /// <c>[agent] max_change_mb</c>: the most a proposal may write into the worktree (new and changed files together); a
    /// larger one is refused unrun and never committed. Default 10 MB.
    /// </summary>
    public long MaxChangeMb { get; init; } = 10;

    /// <summary>An agent section with nothing set.</summary>
    public static AgentSpec Empty { get; } = new(null, null, DefaultTimeout, new Dictionary<string, object>());
}
