using System.Diagnostics;
using System.Text;

namespace AutoResearch.Core.Workspace;

/// <summary>Runs git in a directory. Commits made by the harness carry a fixed identity, so an unconfigured machine works.</summary>
internal static class Git
{
    /// <summary>The identity on experiment commits.</summary>
    public const string UserName = "autoresearch";

    public const string UserEmail = "autoresearch@localhost";

    /// <summary>Runs git and returns stdout; a non-zero exit throws with git's own message.</summary>
    public static async Task<string> RunAsync(string directory, IEnumerable<string> arguments, CancellationToken cancellationToken = default)
    {
        var (exit, stdout, stderr) = await TryRunAsync(directory, arguments, cancellationToken).ConfigureAwait(false);
        if (exit != 0)
        {
            throw new WorkspaceException(
                $"git {string.Join(' ', arguments)} failed in {directory} (exit {exit}): {stderr.Trim()}",
                isUsageError: false);
        }

        return stdout;
    }

    /// <summary>Runs git and returns its exit code with both outputs.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> TryRunAsync(
        string directory,
        IEnumerable<string> arguments,
        CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"user.name={UserName}");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"user.email={UserEmail}");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("core.quotepath=off");
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["LC_ALL"] = "C";
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("git did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            // No git executable: nothing in the harness can work.
            throw new WorkspaceException($"git is not installed or not on PATH ({e.Message}); install git", isUsageError: true, e);
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
        }
    }
}
