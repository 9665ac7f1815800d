using System.Diagnostics;
using System.Text;

namespace AutoResearch.Core.Workspace;

/// <summary>
/// Runs git in a directory. Commits made by the harness carry a fixed identity, so an unconfigured machine works.
/// </summary>
/// <remarks>
/// Every call is neutralised against the repository it works on, which code under research may have written to: hooks
/// are off (<c>core.hooksPath=/dev/null</c>), and no setting can make git run a program (fsmonitor, pager, editor,
/// ssh, external diff, credential helpers, signing); the user's global and the system's config files are not read (an
/// experiment running with the user's rights could have written them), so only the repository's own config applies,
/// which <see cref="RepositoryGuard"/> restores after every phase that could have changed it.
/// </remarks>
internal static class Git
{
    /// <summary>Settings on every call that keep git from running anything but itself.</summary>
    private static readonly string[] s_neutral =
    [
        "core.hooksPath=/dev/null", "core.fsmonitor=false", "core.pager=cat", "core.editor=true", "core.sshCommand=false",
        "core.askPass=", "credential.helper=", "diff.external=", "commit.gpgSign=false", "tag.gpgSign=false", "gc.auto=0",
        "maintenance.auto=false", "protocol.allow=never", "core.quotepath=off", "core.untrackedCache=false",
        "submodule.recurse=false", "core.splitIndex=false",
    ];

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
    public static Task<(int ExitCode, string Stdout, string Stderr)> TryRunAsync(
        string directory,
        IEnumerable<string> arguments,
        CancellationToken cancellationToken = default) =>
        TryRunAsync(directory, arguments, environment: null, cancellationToken);

    /// <summary>
    /// Runs git with extra environment variables (set after the neutral ones, so <c>GIT_INDEX_FILE</c> can point at a
    /// scratch index) and returns its exit code with both outputs.
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> TryRunAsync(
        string directory,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment,
        CancellationToken cancellationToken = default)
    {
        var info = StartInfo(directory, arguments);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

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

    /// <summary>git with the neutral settings and environment, in <paramref name="directory"/>, every stream redirected.</summary>
    private static ProcessStartInfo StartInfo(string directory, IEnumerable<string> arguments)
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
        foreach (var setting in s_neutral)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(setting);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        info.Environment["GIT_ATTR_NOSYSTEM"] = "1";
        info.Environment["GIT_PAGER"] = "cat";
        // Variables that would point git at another repository or config, or run a program.
        foreach (var name in (string[])["GIT_EXTERNAL_DIFF", "GIT_SSH_COMMAND", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT"])
        {
            info.Environment.Remove(name);
        }

        info.Environment["LC_ALL"] = "C";
        return info;
    }

    /// <summary>
    /// Writes the tracked files of <paramref name="commit"/> into <paramref name="destination"/> (an empty or new folder),
    /// through <c>git archive</c>: a clean checkout with no untracked or ignored file, and no git metadata.
    /// </summary>
    public static async Task ArchiveAsync(string directory, string commit, string destination, CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(destination);
        var info = StartInfo(directory, ["archive", "--format=tar", commit]);
        info.StandardOutputEncoding = null;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("git did not start");
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await System.Formats.Tar.TarFile.ExtractToDirectoryAsync(process.StandardOutput.BaseStream, destination, overwriteFiles: true, cancellationToken)
            .ConfigureAwait(false);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new WorkspaceException($"git archive {commit} failed in {directory} (exit {process.ExitCode}): {(await stderr.ConfigureAwait(false)).Trim()}", isUsageError: false);
        }
    }
}
