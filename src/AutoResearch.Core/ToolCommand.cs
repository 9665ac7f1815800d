namespace AutoResearch.Core;

/// <summary>
/// How the user starts this tool, for the commands messages print: <c>autoresearch</c> unless the front end says otherwise
/// (a source checkout's <c>dotnet run --project ... --</c>, a tool folder not on the PATH), so a printed command works as printed.
/// </summary>
public static class ToolCommand
{
    private static string s_self = "autoresearch";

    /// <summary>The command that starts the tool; set once by the front end at start.</summary>
    public static string Self
    {
        get => Volatile.Read(ref s_self);
        set => Volatile.Write(ref s_self, string.IsNullOrWhiteSpace(value) ? "autoresearch" : value);
    }

    /// <summary><c>autoresearch ARGUMENTS</c> as the user types it.</summary>
    public static string Of(string arguments) => $"{Self} {arguments}";
}
