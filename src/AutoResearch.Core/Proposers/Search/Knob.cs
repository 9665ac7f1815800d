namespace AutoResearch.Core.Proposers.Search;

/// <summary>One tunable constant found in an editable file: where its literal is and what values it may take.</summary>
/// <param name="File">The file, relative to the workspace root.</param>
/// <param name="Name">The constant's name; an element of a tuple is <c>NAME[i]</c>.</param>
/// <param name="Start">Offset of the literal's first character in the file's text.</param>
/// <param name="Length">Length of the literal.</param>
/// <param name="Literal">The literal as written.</param>
/// <param name="Space">The values it may take.</param>
public sealed record Knob(string File, string Name, int Start, int Length, string Literal, KnobSpace Space);
