namespace AutoResearch.Cli;

/// <summary>Where the tool finds what it ships with.</summary>
internal static class Paths
{
    /// <summary>The folder of the tool's own assemblies, trusted libraries included (passed to runs as <c>AUTORESEARCH_LIB</c>).</summary>
    public static string Library => AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);

    /// <summary>The workspace templates shipped beside the binary.</summary>
    public static string Templates => Path.Combine(AppContext.BaseDirectory, "templates");
}
