using System.Diagnostics;

namespace AutoResearch.Core.Workspace;

/// <summary>
/// Runs git in a directory. Commits made by the harness carry a fixed identity, so an unconfigured machine works.
/// </summary>
/// <remarks>
/// Every call is neutralised against the repository it works on, which code under research may have written to
/// (<see cref="NeutralGit"/>: hooks off, no setting can make git run a program, no global or system config); only the
/// repository's own config applies, which <see cref="RepositoryGuard"/> restores after every phase that could have changed it.
/// </remarks>
internal static class Git
{
    /// <summary>The identity on experiment commits.</summary>
    public const string UserName = "autoresearch";

    public const string UserEmail = "autoresearch@localhost";

    /// <summary>Runs git and returns stdout; a non-zero exit throws with git's own message.</summary>
    public static async Task<string> RunAsync(string directory, IEnumerable<string> arguments, CancellationToken cancellationToken = default)
    {
        var (exit, stdout, stderr) = await TryRunAsync(directory, arguments, cancellationToken).ConfigureAwait(false);
        return exit == 0 ? stdout : throw Failed(directory, arguments, exit, stderr);
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

        using var process = Start(info);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await WaitAsync(process, stdout, cancellationToken).ConfigureAwait(false);
        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    /// <summary>Runs git and returns stdout as bytes (a blob's content, which need not be text); a non-zero exit throws.</summary>
    public static async Task<byte[]> ReadBytesAsync(string directory, IEnumerable<string> arguments, CancellationToken cancellationToken = default)
    {
        using var process = Start(StartInfo(directory, arguments));
        process.StandardInput.Close();
        using var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout, cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await WaitAsync(process, copy, cancellationToken).ConfigureAwait(false);
        return process.ExitCode == 0 ? stdout.ToArray() : throw Failed(directory, arguments, process.ExitCode, await stderr.ConfigureAwait(false));
    }

    private static Process Start(ProcessStartInfo info)
    {
        try
        {
            return Process.Start(info) ?? throw new InvalidOperationException("git did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            // No git executable: nothing in the harness can work.
            throw new WorkspaceException($"git is not installed or not on PATH ({e.Message}); install git", isUsageError: true, e);
        }
    }

    /// <summary>Waits for git to exit and for its output to be read; a cancelled wait kills it (disposing a process does not).</summary>
    private static async Task WaitAsync(Process process, Task output, CancellationToken cancellationToken)
    {
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            await output.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited in between.
            }

            throw;
        }
    }

    private static WorkspaceException Failed(string directory, IEnumerable<string> arguments, int exit, string stderr) =>
        new($"git {string.Join(' ', arguments)} failed in {directory} (exit {exit}): {stderr.Trim()}", isUsageError: false);

    /// <summary>git with the neutral settings and environment (<see cref="NeutralGit"/>) and the harness's identity, in <paramref name="directory"/>.</summary>
    private static ProcessStartInfo StartInfo(string directory, IEnumerable<string> arguments) =>
        NeutralGit.StartInfo(directory, ["-c", $"user.name={UserName}", "-c", $"user.email={UserEmail}", .. arguments]);
}
