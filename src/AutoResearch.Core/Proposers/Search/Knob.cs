namespace AutoResearch.Core.Proposers.Search;

/// <summary>One tunable constant found in an editable file: where its literal is and what values it may take.</summary>
/// <param name="File">The file, relative to the workspace root.</param>
/// <param name="Name">The constant's name; an element of a tuple or array is <c>NAME[i]</c>, a value nested in a
/// TOML table or a YAML or JSON object is its dotted path (<c>optimizer.lr</c>).</param>
/// <param name="Start">Offset of the literal's first character in the file's text.</param>
/// <param name="Length">Length of the literal.</param>
/// <param name="Literal">The literal as written.</param>
/// <param name="Space">The values it may take.</param>
public sealed record Knob(string File, string Name, int Start, int Length, string Literal, KnobSpace Space)
{
    /// <summary>The 1-based line of the literal in its file (0 when not known).</summary>
    public int Line { get; init; }

    /// <summary>The convention it was found by: <c>C# const</c>, <c>Python assignment</c>, <c>dataclass field</c>,
    /// <c>argparse default</c>, <c>shell</c>, <c>TOML</c>, <c>YAML</c>, <c>JSON</c>.</summary>
    public string Convention { get; init; } = "";
}
