namespace AutoResearch.Core.Proposers.Search.Edits;

/// <summary>What a <see cref="CodeEdit"/> made of a file: the new text, or why it did not apply.</summary>
/// <param name="Text">The edited text; null when skipped.</param>
/// <param name="Skipped">Why the edit does not apply; null when applied.</param>
public sealed record EditOutcome(string? Text, string? Skipped)
{
    /// <summary>The edit applied: <paramref name="text"/> is the new file.</summary>
    public static EditOutcome Edited(string text) => new(text, null);

    /// <summary>The edit does not apply, for <paramref name="reason"/>.</summary>
    public static EditOutcome Skip(string reason) => new(null, reason);
}
