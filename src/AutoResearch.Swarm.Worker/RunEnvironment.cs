using System.Globalization;
using AutoResearch.Swarm.Protocol.Messages;

namespace AutoResearch.Swarm.Worker;

/// <summary>The variables every swarm run gets from the project a coordinator serves.</summary>
public static class RunEnvironment
{
    /// <summary>The variable that carries the project's training budget in tokens to each run.</summary>
    public const string TokenBudget = "AUTORESEARCH_TOKEN_BUDGET";

    /// <summary>
    /// <paramref name="extra"/> plus, when the project sets a token budget, <see cref="TokenBudget"/>: every worker trains
    /// to the same number of tokens whatever its hardware, so a claim and its verification are the same run. A budget the
    /// worker's own environment sets is overridden: the project's is the one verified against.
    /// </summary>
    public static Dictionary<string, string?> For(ProjectInfo project, IReadOnlyDictionary<string, string?> extra)
    {
        ArgumentNullException.ThrowIfNull(project);
        ArgumentNullException.ThrowIfNull(extra);
        var variables = new Dictionary<string, string?>(extra, StringComparer.Ordinal);
        if (project.TokenBudget is { } tokens)
        {
            variables[TokenBudget] = tokens.ToString(CultureInfo.InvariantCulture);
        }

        return variables;
    }
}
