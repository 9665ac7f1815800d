namespace AutoResearch.Cli;

/// <summary>
/// How the user runs this tool, so a command a message prints works as printed: <c>autoresearch</c> for an installed tool
/// on the PATH, the tool's full path when its folder is not on the PATH (<c>--tool-path</c>), <c>dotnet run --project
/// ...</c> from a source checkout, else <c>dotnet .../autoresearch.dll</c>.
/// </summary>
internal static class Invocation
{
    private static readonly Lazy<string> s_prefix = new(() =>
        Prefix(AppContext.BaseDirectory, Environment.GetEnvironmentVariable("PATH")));

    /// <summary>The command that starts this tool, e.g. <c>autoresearch</c> or <c>dotnet run --project /src/AutoResearch.Cli --</c>.</summary>
    public static string Self => s_prefix.Value;

    /// <summary><c>autoresearch ARGS</c> as this user types it, e.g. <c>Command("log /tmp/demo")</c>.</summary>
    public static string Command(string arguments) => $"{Self} {arguments}";

    /// <summary>The prefix for a tool whose assemblies are in <paramref name="baseDirectory"/>, with <paramref name="path"/> as the PATH.</summary>
    internal static string Prefix(string baseDirectory, string? path)
    {
        var directory = Path.GetFullPath(baseDirectory).TrimEnd(Path.DirectorySeparatorChar);
        var separator = Path.DirectorySeparatorChar;
        // An installed tool lives in <tools>/.store/autoresearch/<version>/...; its shim is <tools>/autoresearch.
        var store = directory.IndexOf($"{separator}.store{separator}", StringComparison.Ordinal);
        if (store >= 0)
        {
            var tools = directory[..store];
            var onPath = (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Any(p => string.Equals(Path.GetFullPath(p).TrimEnd(separator), tools, StringComparison.Ordinal));
            return onPath ? "autoresearch" : Quote(Path.Combine(tools, "autoresearch"));
        }

        // A build of the source: <project>/bin/<configuration>/<framework>/.
        for (var folder = new DirectoryInfo(directory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "AutoResearch.Cli.csproj")))
            {
                var configuration = directory.Contains($"{separator}Release{separator}", StringComparison.Ordinal) || directory.EndsWith($"{separator}Release", StringComparison.Ordinal)
                    ? " -c Release"
                    : "";
                return $"dotnet run --project {Quote(folder.FullName)}{configuration} --";
            }
        }

        return $"dotnet {Quote(Path.Combine(directory, "autoresearch.dll"))}";
    }

    /// <summary>
    /// <paramref name="path"/> as bash reads it back: as is when every character is plain (letters, digits and
    /// <c>_ . / = : @ % + , -</c>), else in single quotes.
    /// </summary>
    public static string Quote(string path) =>
        path.Length > 0 && path.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '/' or '=' or ':' or '@' or '%' or '+' or ',' or '-')
            ? path
            : $"'{path.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
