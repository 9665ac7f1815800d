namespace AutoResearch.Core.Proposers.Search.Edits;

/// <summary>The library of code edits the search proposes, in a fixed order (a new one is one more file and a line here).</summary>
public static class CodeEdits
{
    /// <summary>Every edit.</summary>
    public static IReadOnlyList<CodeEdit> All { get; } =
    [
        new ReluSquaredEdit(),
        new RmsNormEdit(),
        new QkNormEdit(),
        new LogitSoftcapEdit(),
        new UntieHeadEdit(),
        new ZeroInitProjectionsEdit(),
        new WarmdownEdit(),
        new EmbeddingDecayEdit(),
    ];

    /// <summary>The edit called <paramref name="name"/>, or null.</summary>
    public static CodeEdit? Find(string name) => All.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.Ordinal));
}
