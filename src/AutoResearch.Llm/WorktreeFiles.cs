using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;

namespace AutoResearch.Llm;

/// <summary>
/// The model's view of one worktree: it may read any file in it except the harness's internals (<c>.git</c>,
/// <c>.autoresearch</c>), and write only the editable files. Paths are relative to the worktree; <c>..</c>, absolute
/// paths elsewhere and symbolic links that lead outside are refused, and writes never go through a link. Every
/// refusal is a sentence the model can act on.
/// </summary>
internal sealed class WorktreeFiles
{
    private static readonly HashSet<string> s_internal = [".git", ".autoresearch"];
    private static readonly HashSet<string> s_skipped = [".git", ".autoresearch", "bin", "obj", "node_modules", "__pycache__", ".venv", ".mypy_cache"];
    private readonly EditableScope _scope;
    private readonly string _realRoot;

    public WorktreeFiles(string root, EditableScope scope)
    {
        Root = Path.GetFullPath(root);
        _scope = scope;
        _realRoot = RealPath.Resolve(Root) ?? Root;
    }

    /// <summary>The worktree's folder.</summary>
    public string Root { get; }

    /// <summary>True when <paramref name="relativePath"/> is one of the files the model may edit.</summary>
    public bool IsEditable(string relativePath) => _scope.IsEditable(relativePath);

    /// <summary>
    /// Resolves a path the model gave. Returns the full path and the path relative to the worktree (forward slashes),
    /// or the reason it is refused.
    /// </summary>
    public (string Full, string Relative, string? Refusal) Resolve(string? path, bool forWriting)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return ("", "", "a path is needed, relative to the repository root (e.g. \"train.py\")");
        }

        var given = path.Trim().Replace('\\', '/');
        var full = Path.GetFullPath(Path.IsPathRooted(given) ? given : Path.Combine(Root, given));
        var relative = Path.GetRelativePath(Root, full).Replace('\\', '/');
        if (relative == ".." || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            return (full, relative, $"`{path}` is outside the repository; use paths relative to its root, e.g. \"{EditableExample()}\"");
        }

        if (relative == ".")
        {
            return (full, relative, "that is the repository's root folder; give a file's path (list_files shows them)");
        }

        if (relative.Split('/').Any(s_internal.Contains))
        {
            return (full, relative, $"`{path}` belongs to the harness (.git, .autoresearch) and is off limits; work with the repository's own files");
        }

        var real = RealPath.Resolve(full);
        if (real is null || !(real == _realRoot || real.StartsWith(_realRoot + "/", StringComparison.Ordinal)))
        {
            return (full, relative, $"`{path}` is a symbolic link (or passes through one) that leads outside the repository; it is off limits");
        }

        if (forWriting)
        {
            if (!_scope.IsEditable(relative))
            {
                return (full, relative,
                    $"`{relative}` is read-only: you may edit only files matching {string.Join(", ", _scope.Globs.Select(g => $"`{g}`"))}. " +
                    "Make your change in an editable file instead.");
            }

            if (real != _realRoot + "/" + relative)
            {
                return (full, relative, $"`{relative}` is (or passes through) a symbolic link; the tools write only regular files");
            }
        }

        return (full, relative, null);
    }

    /// <summary>The files under <paramref name="relativeFolder"/> (relative paths, sorted), skipping the harness's and build folders.</summary>
    public IReadOnlyList<string> List(string relativeFolder)
    {
        var start = Path.GetFullPath(Path.Combine(Root, relativeFolder));
        var found = new List<string>();
        var pending = new Stack<string>();
        pending.Push(start);
        while (pending.Count > 0)
        {
            var folder = pending.Pop();
            foreach (var entry in new DirectoryInfo(folder).EnumerateFileSystemInfos())
            {
                if (s_internal.Contains(entry.Name))
                {
                    // A worktree's .git is a file; either way it is the harness's.
                    continue;
                }

                if (entry.LinkTarget is not null)
                {
                    // Listed but never followed: a linked folder could lead anywhere.
                    found.Add(Path.GetRelativePath(Root, entry.FullName).Replace('\\', '/'));
                }
                else if (entry is DirectoryInfo)
                {
                    if (!s_skipped.Contains(entry.Name))
                    {
                        pending.Push(entry.FullName);
                    }
                }
                else
                {
                    found.Add(Path.GetRelativePath(Root, entry.FullName).Replace('\\', '/'));
                }
            }
        }

        found.Sort(StringComparer.Ordinal);
        return found;
    }

    private string EditableExample() => _scope.Globs.FirstOrDefault(g => !g.Contains('*', StringComparison.Ordinal)) ?? "train.py";
}
