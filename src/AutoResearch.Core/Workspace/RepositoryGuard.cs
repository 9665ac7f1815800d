using System.Security.Cryptography;

namespace AutoResearch.Core.Workspace;

/// <summary>
/// Keeps the parts of the user's repository that make git run code or move history as the harness last left them: the
/// config files, hooks, <c>info/</c>, alternates, each worktree's administrative files and <c>.git</c> file, and every
/// ref. After each phase that could have written them (an agent's turn, a run, a scoring), <see cref="CheckAsync"/>
/// compares them with what the harness expects, puts back whatever changed, and names it, so the phase is recorded as
/// the failure it is. The harness moves refs through the guard (<see cref="MoveAsync"/>); nothing else may move a ref
/// while a run goes on. Thread-safe: parallel slots share one guard.
/// </summary>
public sealed class RepositoryGuard
{
    private readonly string _root;
    private readonly string _gitDirectory;
    private readonly List<string> _worktrees = [];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Dictionary<string, FileState> _files = new(StringComparer.Ordinal);
    private Dictionary<string, string> _refs = new(StringComparer.Ordinal);
    private HashSet<string> _dirty = new(StringComparer.Ordinal);

    private RepositoryGuard(string root, string gitDirectory)
    {
        _root = root;
        _gitDirectory = gitDirectory;
    }

    /// <summary>Takes the first picture of <paramref name="workspace"/>'s repository.</summary>
    public static async Task<RepositoryGuard> CaptureAsync(GitWorkspace workspace, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var common = (await Git.RunAsync(workspace.Root, ["rev-parse", "--git-common-dir"], cancellationToken).ConfigureAwait(false)).Trim();
        var guard = new RepositoryGuard(workspace.Root, Path.GetFullPath(Path.Combine(workspace.Root, common)));
        await guard.RecaptureAsync(cancellationToken).ConfigureAwait(false);
        return guard;
    }

    /// <summary>Adds a worktree whose <c>.git</c> file is guarded too, and takes the picture again (the harness just made it).</summary>
    public async Task AddWorktreeAsync(string path, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_worktrees.Contains(path))
            {
                _worktrees.Add(path);
            }
        }
        finally
        {
            _gate.Release();
        }

        await RecaptureAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes the picture again, after the harness itself changed the repository (a new worktree, a new branch).</summary>
    public async Task RecaptureAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _files = ReadFiles();
            _refs = await ReadRefsAsync(cancellationToken).ConfigureAwait(false);
            _dirty = await DirtyAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Moves <paramref name="reference"/> to <paramref name="commit"/> through <paramref name="move"/> and records it as expected, both
    /// under the guard's lock: a check from another slot never sees the harness's own move half done (and never undoes it).
    /// </summary>
    public async Task MoveAsync(string reference, string commit, Func<Task> move, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(move);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await move().ConfigureAwait(false);
            _refs[reference] = commit;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Compares the repository with what the harness expects and restores every difference: files are written back (with
    /// their modes) or deleted, refs are moved back, created ones deleted. Returns one line per difference, empty when the
    /// repository is as the harness left it.
    /// </summary>
    public async Task<IReadOnlyList<string>> CheckAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var changes = new List<string>();
            var now = ReadFiles();
            foreach (var (path, expected) in _files)
            {
                if (!now.TryGetValue(path, out var actual))
                {
                    changes.Add($"{Show(path)} was deleted");
                    Write(path, expected);
                }
                else if (actual.Hash != expected.Hash || actual.Mode != expected.Mode)
                {
                    changes.Add($"{Show(path)} was changed");
                    Write(path, expected);
                }
            }

            foreach (var path in now.Keys.Where(p => !_files.ContainsKey(p)).OrderByDescending(p => p.Length))
            {
                changes.Add($"{Show(path)} was added");
                Delete(path);
            }

            var refs = await ReadRefsAsync(cancellationToken).ConfigureAwait(false);
            foreach (var (name, expected) in _refs)
            {
                if (!refs.TryGetValue(name, out var actual))
                {
                    changes.Add($"ref {name} was deleted (was {expected[..7]})");
                    await Git.RunAsync(_root, ["update-ref", "-m", "autoresearch: restore", name, expected], cancellationToken).ConfigureAwait(false);
                }
                else if (actual != expected)
                {
                    changes.Add($"ref {name} was moved from {expected[..7]} to {actual[..7]}");
                    await Git.RunAsync(_root, ["update-ref", "-m", "autoresearch: restore", name, expected], cancellationToken).ConfigureAwait(false);
                }
            }

            foreach (var (name, actual) in refs.Where(r => !_refs.ContainsKey(r.Key)))
            {
                changes.Add($"ref {name} was created at {actual[..7]}");
                await Git.RunAsync(_root, ["update-ref", "-d", name], cancellationToken).ConfigureAwait(false);
            }

            // The user's own checkout: a tracked file that was clean and is not any more was changed by the phase (nothing
            // of the harness writes there). It is put back from HEAD, and what was written is kept beside the ledger.
            foreach (var path in (await DirtyAsync(cancellationToken).ConfigureAwait(false)).Where(p => !_dirty.Contains(p)))
            {
                var full = Path.Combine(_root, path);
                var kept = Path.Combine(_root, GitWorkspace.StateFolder, "tampered", DateTime.UtcNow.ToString("yyyyMMddTHHmmssfff", System.Globalization.CultureInfo.InvariantCulture), path);
                if (File.Exists(full) && new FileInfo(full).LinkTarget is null)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(kept)!);
                    File.Copy(full, kept, overwrite: true);
                }

                changes.Add($"{path} in your checkout was changed (restored from HEAD{(File.Exists(kept) ? $"; what was written is in {Show(kept)}" : "")})");
                await Git.RunAsync(_root, ["checkout", "-q", "HEAD", "--", path], cancellationToken).ConfigureAwait(false);
            }

            return changes;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The files that decide what git runs and where it looks, by path (absolute), each with its bytes.</summary>
    private Dictionary<string, FileState> ReadFiles()
    {
        var files = new Dictionary<string, FileState>(StringComparer.Ordinal);
        void Add(string path)
        {
            if (new FileInfo(path).LinkTarget is { } target)
            {
                files[path] = new FileState(null, 0, target);
            }
            else if (File.Exists(path))
            {
                var bytes = File.ReadAllBytes(path);
                files[path] = new FileState(bytes, OperatingSystem.IsWindows() ? 0 : (int)File.GetUnixFileMode(path), Convert.ToHexString(SHA256.HashData(bytes)));
            }
        }

        void AddTree(string folder)
        {
            if (!Directory.Exists(folder))
            {
                return;
            }

            foreach (var entry in Directory.EnumerateFileSystemEntries(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
            {
                if (!Directory.Exists(entry) || new FileInfo(entry).LinkTarget is not null)
                {
                    Add(entry);
                }
            }
        }

        foreach (var name in (string[])["config", "config.worktree", "commondir", "objects/info/alternates", "objects/info/http-alternates"])
        {
            Add(Path.Combine(_gitDirectory, name));
        }

        AddTree(Path.Combine(_gitDirectory, "hooks"));
        AddTree(Path.Combine(_gitDirectory, "info"));
        var worktrees = Path.Combine(_gitDirectory, "worktrees");
        if (Directory.Exists(worktrees))
        {
            foreach (var admin in Directory.GetDirectories(worktrees))
            {
                foreach (var name in (string[])["config", "config.worktree", "gitdir", "commondir", "locked"])
                {
                    Add(Path.Combine(admin, name));
                }

                AddTree(Path.Combine(admin, "hooks"));
                AddTree(Path.Combine(admin, "info"));
            }
        }

        foreach (var worktree in _worktrees)
        {
            Add(Path.Combine(worktree, ".git"));
        }

        return files;
    }

    private async Task<Dictionary<string, string>> ReadRefsAsync(CancellationToken cancellationToken)
    {
        var listing = await Git.RunAsync(_root, ["for-each-ref", "--format=%(refname) %(objectname)"], cancellationToken).ConfigureAwait(false);
        return listing.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2))
            .Where(f => f.Length == 2)
            .ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
    }

    /// <summary>The tracked files of the user's checkout that differ from its index or HEAD.</summary>
    private async Task<HashSet<string>> DirtyAsync(CancellationToken cancellationToken)
    {
        var status = await Git.RunAsync(_root, ["status", "--porcelain=v1", "-z", "--untracked-files=no", "--no-renames"], cancellationToken)
            .ConfigureAwait(false);
        return status.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(e => e.Length > 3).Select(e => e[3..]).ToHashSet(StringComparer.Ordinal);
    }

    private static void Write(string path, FileState state)
    {
        Delete(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (state.LinkTarget is { } target)
        {
            File.CreateSymbolicLink(path, target);
            return;
        }

        File.WriteAllBytes(path, state.Bytes!);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, (UnixFileMode)state.Mode);
        }
    }

    private static void Delete(string path)
    {
        if (Directory.Exists(path) && new FileInfo(path).LinkTarget is null)
        {
            Directory.Delete(path, recursive: true);
        }
        else if (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            File.Delete(path);
        }
    }

    private string Show(string path) =>
        path.StartsWith(_root + "/", StringComparison.Ordinal) ? path[(_root.Length + 1)..] : path;

    /// <summary>A guarded file: its bytes and mode, or the target of a symbolic link.</summary>
    private sealed record FileState(byte[]? Bytes, int Mode, string Hash)
    {
        public string? LinkTarget => Bytes is null ? Hash : null;
    }
}
