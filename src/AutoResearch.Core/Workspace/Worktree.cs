using System.Security.Cryptography;
using System.Text.RegularExpressions;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Workspace;

/// <summary>
/// The git worktree where experiments are made and run, detached at the current best commit, so the
/// user's own checkout is never touched mid-run. Candidates are commits on a detached HEAD; only a keep
/// moves the run's branch.
/// </summary>
public sealed partial class Worktree
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

    /// <summary>
    /// Checks out <paramref name="commit"/> as <see cref="ResetAsync"/> does, and also deletes every ignored file that is not
    /// in <paramref name="keep"/> (paths relative to the worktree): what a run starts from is the commit, plus only the
    /// ignored inputs the workspace had before the research began (prepared data), never what an agent or an earlier run
    /// left behind (a module that shadows one the code imports, a checkpoint).
    /// </summary>
    public async Task CleanAsync(string commit, IReadOnlySet<string> keep, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keep);
        await Git.RunAsync(Path, ["reset", "-q", "--hard", commit], cancellationToken).ConfigureAwait(false);
        await Git.RunAsync(Path, ["clean", "-ffdq"], cancellationToken).ConfigureAwait(false);
        foreach (var file in await IgnoredFilesAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!keep.Contains(file))
            {
                var full = System.IO.Path.Combine(Path, file);
                File.Delete(full);
            }
        }
    }

    /// <summary>The ignored files in the worktree (paths relative to it; files inside ignored folders included).</summary>
    public async Task<IReadOnlySet<string>> IgnoredFilesAsync(CancellationToken cancellationToken = default)
    {
        var listing = await Git.RunAsync(Path, ["ls-files", "-z", "--others", "--ignored", "--exclude-standard"], cancellationToken)
            .ConfigureAwait(false);
        return listing.Split('\0', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Deletes the untracked files (not ignored, not committed) for which <paramref name="isOutput"/> is true, and returns
    /// their paths (relative to the worktree): run products an agent's own trial run left, never part of its proposal.
    /// </summary>
    public async Task<IReadOnlyList<string>> RemoveUntrackedAsync(Func<string, bool> isOutput, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(isOutput);
        var listing = await Git.RunAsync(Path, ["ls-files", "-z", "--others", "--exclude-standard"], cancellationToken).ConfigureAwait(false);
        var removed = new List<string>();
        foreach (var file in listing.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(isOutput))
        {
            File.Delete(System.IO.Path.Combine(Path, file));
            removed.Add(file);
        }

        return removed;
    }

    /// <summary>
    /// The paths that git takes as binary (no line diff; <c>.gitattributes</c> respected) among those that differ between
    /// <paramref name="parent"/> and <paramref name="candidate"/>.
    /// </summary>
    public async Task<IReadOnlyList<string>> BinaryPathsAsync(string parent, string candidate, CancellationToken cancellationToken = default)
    {
        var numstat = await Git.RunAsync(Path, ["diff", "-z", "--numstat", "--no-renames", "--no-ext-diff", "--no-textconv", parent, candidate], cancellationToken)
            .ConfigureAwait(false);
        // One "added<TAB>removed<TAB>path" record per file; git writes "-" for both counts of a binary file.
        return numstat.Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(r => r.StartsWith("-\t-\t", StringComparison.Ordinal))
            .Select(r => r[4..])
            .ToList();
    }

    /// <summary>
    /// The patch from <paramref name="parent"/> to <paramref name="candidate"/> with each binary file reduced to git's one line
    /// ("Binary files ... differ"): what a record keeps of a change it refused for holding binaries, never their bytes.
    /// </summary>
    public Task<string> TextPatchAsync(string parent, string candidate, CancellationToken cancellationToken = default) =>
        Git.RunAsync(Path, ["diff", "--no-renames", "--no-ext-diff", "--no-textconv", parent, candidate], cancellationToken);

    /// <summary>
    /// The bytes on disk of every file a commit now would add or change (untracked files included, ignored ones not),
    /// measured before anything is added to git, so an oversized proposal is refused without entering the object store.
    /// </summary>
    public async Task<long> PendingChangeBytesAsync(CancellationToken cancellationToken = default)
    {
        var status = await Git.RunAsync(Path, ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"], cancellationToken)
            .ConfigureAwait(false);
        long total = 0;
        foreach (var entry in status.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            if (entry.Length <= 3)
            {
                continue;
            }

            var info = new FileInfo(System.IO.Path.Combine(Path, entry[3..]));
            if (info.Exists && info.LinkTarget is null)
            {
                total += info.Length;
            }
        }

        return total;
    }

    /// <summary>
    /// Commits whatever the proposer changed (untracked files too) on the detached HEAD, and returns the commit,
    /// the changed paths (a rename counts as both names) and the patch from <paramref name="parent"/>; or null when
    /// nothing changed. One commit and one diff: the loop pays for this on every experiment.
    /// </summary>
    public async Task<CommittedChange?> CommitChangesAsync(string parent, string message, CancellationToken cancellationToken = default)
    {
        await Git.RunAsync(Path, ["add", "-A"], cancellationToken).ConfigureAwait(false);
        // With full-length abbreviations git's summary line carries the id, which saves a rev-parse.
        var (exit, stdout, stderr) = await Git.TryRunAsync(
            Path, ["-c", "core.abbrev=40", "commit", "--no-verify", "--no-status", "-m", message], cancellationToken).ConfigureAwait(false);
        if (exit != 0)
        {
            var said = stdout + stderr;
            if (said.Contains("nothing to commit", StringComparison.Ordinal) || said.Contains("nothing added to commit", StringComparison.Ordinal))
            {
                return null;
            }

            throw new WorkspaceException($"git commit failed in {Path} (exit {exit}): {said.Trim()}", isUsageError: false);
        }

        var match = CommitLine().Match(stdout);
        var candidate = match.Success ? match.Groups["id"].Value : await HeadAsync(cancellationToken).ConfigureAwait(false);
        var diff = await Git.RunAsync(Path, ["diff", "-z", "--raw", "-p", "--binary", "--no-renames", "--no-ext-diff", "--no-textconv", parent, candidate], cancellationToken)
            .ConfigureAwait(false);
        var (entries, patch) = PatchEntry.Parse(diff);
        return new CommittedChange(candidate, [.. entries.Select(e => e.Path)], patch) { Entries = entries };
    }

    /// <summary>
    /// Re-applies the change of <paramref name="candidate"/> (against its own parent) on top of <paramref name="onto"/> and commits it,
    /// leaving the worktree at the new commit. Returns null, with the worktree back at <paramref name="onto"/>, when the change
    /// conflicts with <paramref name="onto"/> or is already in it.
    /// </summary>
    public async Task<CommittedChange?> RebaseAsync(string candidate, string onto, string message, CancellationToken cancellationToken = default)
    {
        await ResetAsync(onto, cancellationToken).ConfigureAwait(false);
        var (exit, _, _) = await Git.TryRunAsync(Path, ["cherry-pick", "--no-commit", candidate], cancellationToken).ConfigureAwait(false);
        if (exit != 0)
        {
            // A conflict: the reset also clears the cherry-pick's state.
            await ResetAsync(onto, cancellationToken).ConfigureAwait(false);
            return null;
        }

        return await CommitChangesAsync(onto, message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The commit HEAD points at.</summary>
    public async Task<string> HeadAsync(CancellationToken cancellationToken = default) =>
        (await Git.RunAsync(Path, ["rev-parse", "HEAD"], cancellationToken).ConfigureAwait(false)).Trim();

    /// <summary>The tracked files that <paramref name="scope"/> does not make editable.</summary>
    public async Task<IReadOnlyList<string>> ReadOnlyFilesAsync(EditableScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var listing = await Git.RunAsync(Path, ["ls-files", "-z"], cancellationToken).ConfigureAwait(false);
        return listing.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(f => !scope.IsEditable(f)).ToList();
    }

    /// <summary>
    /// A SHA-256 per file of <paramref name="files"/>, read from disk now. Compare two fingerprints with
    /// <see cref="Differences"/> to see what a run changed.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>> FingerprintAsync(IReadOnlyList<string> files, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            hashes[file] = await HashAsync(System.IO.Path.Combine(Path, file), cancellationToken).ConfigureAwait(false);
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

    [GeneratedRegex(@"^\[[^\]]*?(?<id>[0-9a-f]{40})\]", RegexOptions.Multiline)]
    private static partial Regex CommitLine();
}
