namespace AutoResearch.Core.Spec;

/// <summary>The <c>[agent]</c> section: which proposer makes the changes and its settings.</summary>
/// <param name="Kind">The proposer: <c>cli</c> (an external coding agent), later <c>search</c> and <c>llm</c>; null when unset.</param>
/// <param name="Command">For <c>cli</c>: the command template; <c>{prompt}</c> becomes the prompt file's path.</param>
/// <param name="Timeout">The limit on one proposal (the agent's turn); default 30 minutes.</param>
/// <param name="Settings">Every other key of the section, for proposers that take more settings.</param>
public sealed record AgentSpec(string? Kind, string? Command, TimeSpan Timeout, IReadOnlyDictionary<string, object> Settings)
{
    /// <summary>The default limit on one proposal: 30 minutes.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromMinutes(30);

    /// <summary>An agent section with nothing set.</summary>
    public static AgentSpec Empty { get; } = new(null, null, DefaultTimeout, new Dictionary<string, object>());
}
