namespace AutoResearch.Core.Proposers.Search.Edits;

/// <summary>
/// A named code transformation the search can propose alongside its knob moves: it finds its anchor in a training file
/// (C# or Python, told apart by the extension) and rewrites the text there, leaving the marker <c>search: NAME</c> in a
/// comment so that any commit says whether it carries the edit. One transformation per file, each with its test; the
/// library is <see cref="CodeEdits.All"/>.
/// </summary>
public abstract class CodeEdit
{
    /// <summary>The short name the ledger and the marker use, e.g. <c>relu2</c>.</summary>
    public abstract string Name { get; }

    /// <summary>What the edit does, in a few words (the proposal's description).</summary>
    public abstract string Description { get; }

    /// <summary>
    /// The value of a choice knob that makes the same change (<c>"relu2"</c> for <c>MLP = "gelu"  // choices: gelu|relu2</c>):
    /// a file that offers it as a choice is not offered the edit too. Null when no such choice is known.
    /// </summary>
    public virtual string? SameAsChoice => null;

    /// <summary>The comment text that marks an applied edit.</summary>
    public string Marker => $"search: {Name}";

    /// <summary>Whether <paramref name="text"/> already carries this edit.</summary>
    public bool IsApplied(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Contains(Marker, StringComparison.Ordinal);
    }

    /// <summary>The edited text, or why the edit does not apply to this file (already applied, no anchor, another language).</summary>
    public EditOutcome Apply(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(text);
        if (IsApplied(text))
        {
            return EditOutcome.Skip($"{path} already has it");
        }

        var extension = Path.GetExtension(path);
        var outcome = extension switch
        {
            ".cs" => ApplyCSharp(text),
            ".py" => ApplyPython(text),
            _ => EditOutcome.Skip($"no {Name} edit for {extension} files"),
        };
        return outcome.Text is { } edited && edited == text ? EditOutcome.Skip("it changed nothing") : outcome;
    }

    /// <summary>The edit on a C# file; by default, none.</summary>
    protected virtual EditOutcome ApplyCSharp(string text) => EditOutcome.Skip($"no {Name} edit for C# files");

    /// <summary>The edit on a Python file; by default, none.</summary>
    protected virtual EditOutcome ApplyPython(string text) => EditOutcome.Skip($"no {Name} edit for Python files");
}
