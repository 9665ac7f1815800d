namespace AutoResearch.Core.Proposers;

/// <summary>What a proposer did.</summary>
/// <param name="Succeeded">False when the agent failed (non-zero exit, timeout); the harness records it and goes on.</param>
/// <param name="Description">One line saying what was tried (at most <see cref="MaxDescription"/> characters).</param>
/// <param name="Error">Why it failed, when it did.</param>
public sealed record Proposal(bool Succeeded, string Description, string? Error = null)
{
    /// <summary>Tokens the model read while proposing (prompt and tool results, summed over its requests); null for proposers without a model.</summary>
    public long? InputTokens { get; init; }

    /// <summary>Tokens the model wrote while proposing; null for proposers without a model.</summary>
    public long? OutputTokens { get; init; }

    /// <summary>Processes of the agent that had left its process group and outlived its turn (killed), as <c>PID (name)</c>.</summary>
    public IReadOnlyList<string> Escaped { get; init; } = [];

    /// <summary>The longest description kept.</summary>
    public const int MaxDescription = 120;

    /// <summary>A successful proposal with <paramref name="description"/> cut to <see cref="MaxDescription"/>.</summary>
    public static Proposal Success(string description) => new(true, Cut(description));

    /// <summary>A failed proposal.</summary>
    public static Proposal Failure(string description, string error) => new(false, Cut(description), error);

    /// <summary>One line, at most <see cref="MaxDescription"/> characters.</summary>
    public static string Cut(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var line = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim();
        return line.Length <= MaxDescription ? line : line[..(MaxDescription - 1)] + "…";
    }
}
