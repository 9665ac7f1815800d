using System.Diagnostics;

namespace AutoResearch.Tests.Support;

/// <summary>A real git repository in a temporary folder, deleted on dispose.</summary>
internal sealed class TempGitRepo : IDisposable
{
    public TempGitRepo(IReadOnlyDictionary<string, string>? files = null, bool commit = true)
    {
        Root = Path.Combine(Path.GetTempPath(), "autoresearch-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Root);
        Git("init", "-q");
        foreach (var (path, text) in files ?? new Dictionary<string, string>())
        {
            Write(path, text);
        }

        if (commit)
        {
            Git("add", "-A");
            Git("commit", "-q", "-m", "init");
        }
    }

    public string Root { get; }

    public string Write(string relativePath, string text)
    {
        var full = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text.ReplaceLineEndings("\n"));
        if (relativePath.EndsWith(".sh", StringComparison.Ordinal))
        {
            File.SetUnixFileMode(full, File.GetUnixFileMode(full) | UnixFileMode.UserExecute);
        }

        return full;
    }

    public string Read(string relativePath) => File.ReadAllText(Path.Combine(Root, relativePath));

    /// <summary>Runs git in the repository and returns its trimmed stdout; throws on failure.</summary>
    public string Git(params string[] arguments) => Run(Root, arguments);

    public static string Run(string directory, params string[] arguments)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", "user.name=test", "-c", "user.email=test@localhost" }.Concat(arguments))
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', arguments)}: {stderr}");
        }

        return stdout.Trim();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A process the test left behind may still hold a file; the temp folder is cleaned eventually.
        }
    }
}
