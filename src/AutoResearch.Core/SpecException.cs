namespace AutoResearch.Core;

/// <summary>The research spec (autoresearch.toml or a recognised layout) is missing or invalid.</summary>
public sealed class SpecException : AutoResearchException
{
    public SpecException(string path, IReadOnlyList<string> problems)
        : base(Format(path, problems))
    {
        Path = path;
        Problems = problems;
    }

    /// <summary>The file or folder the spec was read from.</summary>
    public string Path { get; }

    /// <summary>Every problem found, each naming its key.</summary>
    public IReadOnlyList<string> Problems { get; }

    public override bool IsUsageError => true;

    private static string Format(string path, IReadOnlyList<string> problems) =>
        problems.Count == 1
            ? $"{path}: {problems[0]}"
            : $"{path}: {problems.Count} problems:{Environment.NewLine}  - {string.Join(Environment.NewLine + "  - ", problems)}";
}
