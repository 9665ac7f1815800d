namespace AutoResearch.Core.Workspace;

/// <summary>
/// The user's git repository: checks that it can be researched on, keeps the harness's own files out of
/// git's sight, and owns the run branches (<c>autoresearch/&lt;tag&gt;</c>) and their worktrees.
/// </summary>
public sealed class GitWorkspace
{
    /// <summary>The folder, at the root, for the ledger, run logs and worktrees.</summary>
    public const string StateFolder = ".autoresearch";

    /// <summary>The branch prefix for runs.</summary>
    public const string BranchPrefix = "autoresearch/";

    private GitWorkspace(string root) => Root = root;

    /// <summary>The repository's top-level directory.</summary>
    public string Root { get; }

    /// <summary>The harness's state folder (<c>.autoresearch/</c> at the root).</summary>
    public string StateDirectory => Path.Combine(Root, StateFolder);

    /// <summary>Opens the repository whose root is <paramref name="directory"/>.</summary>
    /// <exception cref="WorkspaceException">Not a directory, not a git repository's root, or no commit yet.</exception>
    public static async Task<GitWorkspace> OpenAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            throw new WorkspaceException($"{full} does not exist; create it with `{ToolCommand.Of($"init {directory}")}`");
        }

        var (exit, stdout, _) = await Git.TryRunAsync(full, ["rev-parse", "--show-toplevel"], cancellationToken).ConfigureAwait(false);
        if (exit != 0)
        {
            throw new WorkspaceException(
                $"{full} is not a git repository; run `git init && git add -A && git commit -m init` there, " +
                $"or `{ToolCommand.Of($"init {directory}")}`");
        }

        var top = Path.GetFullPath(stdout.Trim());
        if (!string.Equals(top.TrimEnd('/'), full.TrimEnd('/'), StringComparison.Ordinal))
        {
            throw new WorkspaceException($"{full} is inside the git repository at {top}; point autoresearch at the repository's root");
        }

        var (headExit, _, _) = await Git.TryRunAsync(full, ["rev-parse", "--verify", "-q", "HEAD"], cancellationToken).ConfigureAwait(false);
        if (headExit != 0)
        {
            throw new WorkspaceException($"{full} has no commit yet; commit your files first (`git add -A && git commit -m init`)");
        }

        return new GitWorkspace(top);
    }

    /// <summary>Adds the harness's files to <c>.git/info/exclude</c> so they never dirty the tree.</summary>
    public async Task EnsureExcludedAsync(CancellationToken cancellationToken = default)
    {
        var relative = (await Git.RunAsync(Root, ["rev-parse", "--git-path", "info/exclude"], cancellationToken).ConfigureAwait(false)).Trim();
        var path = Path.GetFullPath(Path.Combine(Root, relative));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var existing = File.Exists(path) ? await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false) : [];
        string[] wanted = [$"/{StateFolder}/", "/results.tsv", "/progress.png"];
        var missing = wanted.Where(w => !existing.Contains(w)).ToList();
        if (missing.Count > 0)
        {
            var prefix = existing.Length > 0 && existing[^1].Length > 0 ? Environment.NewLine : "";
            await File.AppendAllTextAsync(
                path,
                prefix + "# autoresearch's own files" + Environment.NewLine + string.Join(Environment.NewLine, missing) + Environment.NewLine,
                cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>True when git tracks <paramref name="relativePath"/> (relative to <see cref="Root"/>) in the index.</summary>
    public async Task<bool> IsTrackedAsync(string relativePath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(relativePath);
        var (exit, _, _) = await Git.TryRunAsync(Root, ["ls-files", "--error-unmatch", "--", relativePath], cancellationToken).ConfigureAwait(false);
        return exit == 0;
    }

    /// <summary>Throws when tracked files have uncommitted changes, naming them.</summary>
    public async Task EnsureCleanAsync(CancellationToken cancellationToken = default)
    {
        var status = await Git.RunAsync(Root, ["status", "--porcelain=v1", "-z", "--untracked-files=no"], cancellationToken)
            .ConfigureAwait(false);
        var dirty = status.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(e => e.Length > 3).Select(e => e[3..]).ToList();
        if (dirty.Count > 0)
        {
            var shown = string.Join(", ", dirty.Take(10)) + (dirty.Count > 10 ? $" and {dirty.Count - 10} more" : "");
            throw new WorkspaceException(
                $"{Root} has uncommitted changes to tracked files ({shown}); commit or stash them first, " +
                "so every experiment starts from code you can see in git");
        }
    }

    /// <summary>
    /// What the user's checkout holds beside its commit: files git does not track (<c>Untracked</c>) and those it ignores
    /// (<c>Ignored</c>), relative to the root. The harness's own files are left out. Runs happen in a clean checkout of the
    /// commit, so they see none of these.
    /// </summary>
    public async Task<(IReadOnlyList<string> Untracked, IReadOnlyList<string> Ignored)> UncommittedFilesAsync(CancellationToken cancellationToken = default)
    {
        var untracked = await Git.RunAsync(Root, ["ls-files", "-z", "--others", "--exclude-standard"], cancellationToken).ConfigureAwait(false);
        var ignored = await Git.RunAsync(Root, ["ls-files", "-z", "--others", "--ignored", "--exclude-standard"], cancellationToken)
            .ConfigureAwait(false);
        static List<string> Theirs(string listing) =>
            [.. listing.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(p => p != "results.tsv" && !p.StartsWith($"{StateFolder}/", StringComparison.Ordinal))];
        return (Theirs(untracked), Theirs(ignored));
    }

    /// <summary>The files of <paramref name="commit"/>, relative to the root.</summary>
    public async Task<IReadOnlyList<string>> FilesAsync(string commit, CancellationToken cancellationToken = default)
    {
        var listing = await Git.RunAsync(Root, ["ls-tree", "-r", "-z", "--name-only", commit], cancellationToken).ConfigureAwait(false);
        return listing.Split('\0', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The commit the user's checkout is on.</summary>
    public async Task<string> HeadAsync(CancellationToken cancellationToken = default) =>
        (await Git.RunAsync(Root, ["rev-parse", "HEAD"], cancellationToken).ConfigureAwait(false)).Trim();

    /// <summary>The commit <paramref name="branch"/> points at, or null when it does not exist.</summary>
    public async Task<string?> BranchTipAsync(string branch, CancellationToken cancellationToken = default)
    {
        var (exit, stdout, _) = await Git.TryRunAsync(Root, ["rev-parse", "--verify", "-q", $"refs/heads/{branch}"], cancellationToken)
            .ConfigureAwait(false);
        return exit == 0 ? stdout.Trim() : null;
    }

    /// <summary>Creates <paramref name="branch"/> at <paramref name="commit"/>.</summary>
    public Task CreateBranchAsync(string branch, string commit, CancellationToken cancellationToken = default) =>
        Git.RunAsync(Root, ["branch", branch, commit], cancellationToken);

    /// <summary>Moves <paramref name="branch"/> from <paramref name="expected"/> to <paramref name="commit"/>, atomically.</summary>
    public Task AdvanceBranchAsync(string branch, string commit, string expected, CancellationToken cancellationToken = default) =>
        Git.RunAsync(Root, ["update-ref", "-m", "autoresearch: keep", $"refs/heads/{branch}", commit, expected], cancellationToken);

    /// <summary>The worktree for run <paramref name="tag"/>, created detached at <paramref name="commit"/> when missing.</summary>
    /// <param name="slot">The parallel slot: 0 is <c>.autoresearch/worktrees/&lt;tag&gt;</c>, slot i is <c>.autoresearch/slots/&lt;tag&gt;/&lt;i&gt;</c>.</param>
    public async Task<Worktree> WorktreeAsync(string tag, string commit, int slot = 0, CancellationToken cancellationToken = default)
    {
        var path = WorktreePath(tag, slot);
        if (Directory.Exists(path))
        {
            var (exit, stdout, _) = await Git.TryRunAsync(path, ["rev-parse", "--show-toplevel"], cancellationToken).ConfigureAwait(false);
            if (exit == 0 && string.Equals(Path.GetFullPath(stdout.Trim()), path, StringComparison.Ordinal))
            {
                return new Worktree(path);
            }

            // A folder left by a crash before git registered it, or one git no longer knows.
            Directory.Delete(path, recursive: true);
        }

        // Callers create worktrees one at a time: concurrent `git worktree` commands race on .git/worktrees.
        await Git.RunAsync(Root, ["worktree", "prune"], cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await Git.RunAsync(Root, ["worktree", "add", "-q", "--detach", "-f", path, commit], cancellationToken).ConfigureAwait(false);
        return new Worktree(path);
    }

    /// <summary>Where the worktree of <paramref name="slot"/> of run <paramref name="tag"/> lives.</summary>
    public string WorktreePath(string tag, int slot) =>
        slot == 0
            ? Path.Combine(StateDirectory, "worktrees", tag)
            : Path.Combine(StateDirectory, "slots", tag, slot.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
