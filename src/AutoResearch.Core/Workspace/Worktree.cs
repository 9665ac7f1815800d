using System.Security.Cryptography;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Workspace;

/// <summary>
/// The git worktree where experiments are made and run, detached at the current best commit, so the
/// user's own checkout is never touched mid-run. Candidates are commits on a detached HEAD; only a keep
/// moves the run's branch.
/// </summary>
public sealed class Worktree
{
    internal Worktree(string path) => Path = path;

    /// <summary>The worktree's directory.</summary>
    public string Path { get; }

    /// <summary>Throws away every change and untracked file, and checks out <paramref name="commit"/>.</summary>
    public async Task ResetAsync(string commit, CancellationToken cancellationToken = default)
    {
        await Git.RunAsync(Path, ["reset", "-q", "--hard", commit], cancellationToken).ConfigureAwait(false);
        await Git.RunAsync(Path, ["clean", "-fdq"], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Paths changed against HEAD: modified, added, deleted, renamed (both names) and untracked.</summary>
    public async Task<IReadOnlyList<string>> ChangedPathsAsync(CancellationToken cancellationToken = default)
    {
        var status = await Git.RunAsync(Path, ["status", "--porcelain=v1", "-z", "--untracked-files=all"], cancellationToken)
            .ConfigureAwait(false);
        var paths = new List<string>();
        var entries = status.Split('\0', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            if (entry.Length < 4)
            {
                continue;
            }

            paths.Add(entry[3..]);
            // A rename or copy is followed by its source path as the next entry.
            if (entry[0] is 'R' or 'C' && i + 1 < entries.Length)
            {
                paths.Add(entries[++i]);
            }
        }

        return paths.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Commits every change on the detached HEAD and returns the new commit's id.</summary>
    public async Task<string> CommitAllAsync(string message, CancellationToken cancellationToken = default)
    {
        await Git.RunAsync(Path, ["add", "-A"], cancellationToken).ConfigureAwait(false);
        await Git.RunAsync(Path, ["commit", "-q", "--no-verify", "--allow-empty", "-m", message], cancellationToken)
            .ConfigureAwait(false);
        return await HeadAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The commit HEAD points at.</summary>
    public async Task<string> HeadAsync(CancellationToken cancellationToken = default) =>
        (await Git.RunAsync(Path, ["rev-parse", "HEAD"], cancellationToken).ConfigureAwait(false)).Trim();

    /// <summary>The patch from <paramref name="parent"/> to <paramref name="candidate"/>, binary-safe.</summary>
    public async Task<string> DiffAsync(string parent, string candidate, CancellationToken cancellationToken = default) =>
        await Git.RunAsync(Path, ["diff", "--binary", parent, candidate], cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// A SHA-256 per tracked file that <paramref name="scope"/> does not make editable, read from disk.
    /// Compare two fingerprints with <see cref="Differences"/> to see what a run changed.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> FingerprintReadOnlyAsync(
        EditableScope scope,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var listing = await Git.RunAsync(Path, ["ls-files", "-z"], cancellationToken).ConfigureAwait(false);
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in listing.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            if (scope.IsEditable(file))
            {
                continue;
            }

            var full = System.IO.Path.Combine(Path, file);
            hashes[file] = await HashAsync(full, cancellationToken).ConfigureAwait(false);
        }

        return hashes;
    }

    /// <summary>The files whose fingerprint differs (changed, removed or added) between two fingerprints.</summary>
    public static IReadOnlyList<string> Differences(IReadOnlyDictionary<string, string> before, IReadOnlyDictionary<string, string> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        return before.Keys.Union(after.Keys)
            .Where(k => !before.TryGetValue(k, out var b) || !after.TryGetValue(k, out var a) || a != b)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        if (Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            // A submodule or a symlink: its identity is what it points at, not the content behind it.
            return "link:" + (new FileInfo(path).LinkTarget ?? "dir");
        }

        if (!File.Exists(path))
        {
            return "missing";
        }

        await using var stream = File.OpenRead(path);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return Convert.ToHexString(hash);
    }
}
