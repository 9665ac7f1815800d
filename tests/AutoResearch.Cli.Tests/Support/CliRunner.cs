using System.Diagnostics;
using Spectre.Console.Testing;

namespace AutoResearch.Cli.Tests.Support;

/// <summary>Runs the CLI in-process with a test console, or as a real child process.</summary>
internal static class CliRunner
{
    /// <summary>
    /// Ledger keys (<c>$XDG_CONFIG_HOME/autoresearch/ledger-keys</c>) that <c>autoresearch run</c> creates go to a
    /// folder of the test run, not the user's <c>~/.config</c>; set before any command runs, and inherited by child processes.
    /// </summary>
    public static string ConfigHome { get; } = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "config-" + Environment.ProcessId);

    static CliRunner()
    {
        Environment.SetEnvironmentVariable("XDG_CONFIG_HOME", ConfigHome);
        // An installed tool's library link (LibraryLink) goes there too, never to the user's ~/.local/share.
        Environment.SetEnvironmentVariable("XDG_DATA_HOME", Path.Combine(ConfigHome, "data"));
    }

    /// <summary>Runs <c>autoresearch ARGS</c> in-process; returns the exit code and what it printed.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var code = await Entry.RunAsync(args, console);
        return (code, console.Output);
    }

    /// <summary>The built tool, for tests that need a real process (kill -9).</summary>
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "autoresearch.dll");

    /// <summary>Starts <c>dotnet autoresearch.dll ARGS</c> with output to <paramref name="logPath"/>.</summary>
    public static Process Start(string logPath, params string[] args) => Start(logPath, new Dictionary<string, string>(), args);

    /// <summary>Starts <c>dotnet autoresearch.dll ARGS</c> with output to <paramref name="logPath"/> and <paramref name="environment"/> added (an empty value unsets).</summary>
    public static Process Start(string logPath, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("bash") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec dotnet \"$@\" > \"$LOG\" 2>&1");
        info.ArgumentList.Add("bash");
        info.ArgumentList.Add(Dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["LOG"] = logPath;
        foreach (var (key, value) in environment)
        {
            if (value.Length == 0)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        return Process.Start(info)!;
    }
}
