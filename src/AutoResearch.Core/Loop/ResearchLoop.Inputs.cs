using System.Globalization;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Loop;

/// <summary>What the runs get beside the commit: the workspace's uncommitted files, recognised before the research begins.</summary>
public sealed partial class ResearchLoop
{
    /// <summary>Folders of tools and environments that no run reads as data; never reported as uncommitted data.</summary>
    private static readonly HashSet<string> s_environmentFolders =
        [".venv", "venv", ".env", "env", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", ".idea", ".vscode", "bin", "obj"];

    /// <summary>The hint about uncommitted files given at start, repeated when the baseline fails (it may be why).</summary>
    private string? _uncommittedHint;

    /// <summary>
    /// Tells the user, before a new run's baseline, which files of their checkout are neither committed nor run products:
    /// every run works in a clean checkout of the commit and will not see them, so data a run reads (a <c>data/train.bin</c>
    /// prepared by hand) must be committed or produced by <c>[run] setup</c>.
    /// </summary>
    private async Task ReportUncommittedAsync(CancellationToken cancellationToken)
    {
        var (untracked, ignored) = await _workspace.UncommittedFilesAsync(cancellationToken).ConfigureAwait(false);
        var data = untracked.Concat(ignored).Where(p => !IsEnvironment(p) && !_spec.Run.IsOutput(p) && !_spec.Run.IsInput(p)).ToList();
        if (data.Count == 0)
        {
            return;
        }

        var shown = string.Join(", ", data.Take(8).Select(p => $"{p} ({Bytes(new FileInfo(Path.Combine(_workspace.Root, p)).Length)})")) +
            (data.Count > 8 ? $" and {data.Count - 8} more" : "");
        var example = data[0];
        _uncommittedHint =
            $"not committed, so the runs will not see them (each run works in a clean checkout of your commit): {shown}. " +
            $"If a run reads them, commit them (`git add -f {ShellWord(example)} && git commit`), or name them as read-only inputs " +
            $"(git-ignored, e.g. [run] inputs = [\"{example}\"]), or make [run] setup produce them; if runs write them, name " +
            "them in [run] outputs (e.g. outputs = [\"out*/**\"]); if neither, ignore this";
        _observer.OnMessage("workspace files " + _uncommittedHint);
    }

    /// <summary>
    /// The files of the user's checkout that <c>[run] inputs</c> names (relative paths). Every glob must match at least one
    /// file that git ignores, and none that it would commit: an input that is not ignored would be swept into a proposal.
    /// </summary>
    /// <exception cref="SpecException">A glob matches no ignored file, or matches files git does not ignore.</exception>
    private async Task<IReadOnlyList<string>> ResolveInputsAsync(CancellationToken cancellationToken)
    {
        if (_spec.Run.Inputs.Count == 0)
        {
            return [];
        }

        var (untracked, ignored) = await _workspace.UncommittedFilesAsync(cancellationToken).ConfigureAwait(false);
        var problems = new List<string>();
        var files = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var glob in _spec.Run.Inputs)
        {
            var exposed = untracked.Where(p => RunSpec.Matches([glob], p)).ToList();
            var matched = ignored.Where(p => RunSpec.Matches([glob], p) && new FileInfo(Path.Combine(_workspace.Root, p)).LinkTarget is null).ToList();
            if (exposed.Count > 0)
            {
                problems.Add($"[run] inputs \"{glob}\" matches {Shown(exposed)}, which git does not ignore, so a proposal would commit it; " +
                    $"add it to .gitignore (and commit that), or commit the file itself and drop it from inputs");
            }
            else if (matched.Count == 0)
            {
                problems.Add($"[run] inputs \"{glob}\" matches no git-ignored file in {_workspace.Root}; fix the glob (relative to the " +
                    "workspace root, e.g. \"data/*.bin\"), or prepare the data first (committed files need no entry)");
            }

            files.UnionWith(matched);
        }

        if (problems.Count > 0)
        {
            throw new SpecException(_spec.Source, problems);
        }

        return [.. files];
    }

    /// <summary>
    /// Copies each read-only input from the user's checkout into <paramref name="worktree"/> where the copy is missing or
    /// differs in size or time (a run that wrote to it, or a new worktree); whatever stands at its path is replaced, a
    /// symbolic link included, so nothing is ever written through a link.
    /// </summary>
    private void ProvideInputs(Session session, Workspace.Worktree worktree)
    {
        foreach (var input in session.ReadOnlyInputs)
        {
            var source = new FileInfo(Path.Combine(_workspace.Root, input));
            if (!source.Exists)
            {
                throw new ResearchException(
                    $"[run] inputs: {input} is gone from {_workspace.Root}; put it back (or drop it from [run] inputs) and run again to resume");
            }

            var copy = new FileInfo(Path.Combine(worktree.Path, input));
            if (copy.Exists && copy.LinkTarget is null && copy.Length == source.Length && copy.LastWriteTimeUtc == source.LastWriteTimeUtc)
            {
                continue;
            }

            if (copy.LinkTarget is not null || Directory.Exists(copy.FullName))
            {
                // A link or a folder an agent or a run put there: removed, never followed.
                if (Directory.Exists(copy.FullName) && copy.LinkTarget is null)
                {
                    Directory.Delete(copy.FullName, recursive: true);
                }
                else
                {
                    File.Delete(copy.FullName);
                }
            }

            Directory.CreateDirectory(copy.DirectoryName!);
            File.Copy(source.FullName, copy.FullName, overwrite: true);
            File.SetLastWriteTimeUtc(copy.FullName, source.LastWriteTimeUtc);
        }
    }

    /// <summary>
    /// Copies what <c>[run] setup</c> prepared (the ignored files kept as inputs, not the read-only ones, which
    /// <see cref="ProvideInputs"/> brings from the user's checkout) from the first slot's worktree into another slot's.
    /// </summary>
    private static void CopyPrepared(Session session, Workspace.Worktree first, Workspace.Worktree other)
    {
        foreach (var prepared in session.Inputs.Except(session.ReadOnlyInputs, StringComparer.Ordinal))
        {
            var (from, to) = (Path.Combine(first.Path, prepared), Path.Combine(other.Path, prepared));
            if (File.Exists(from) && !File.Exists(to))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(from, to);
            }
        }
    }

    /// <summary>Checks out <paramref name="commit"/> clean in <paramref name="slot"/> and puts the read-only inputs in place.</summary>
    private async Task CleanAsync(Session session, Slot slot, string commit, CancellationToken cancellationToken)
    {
        await slot.CleanAsync(commit, session.Inputs, cancellationToken).ConfigureAwait(false);
        ProvideInputs(session, slot.Worktree);
    }

    private static bool IsEnvironment(string path)
    {
        var parts = path.TrimEnd('/').Split('/');
        return parts.Any(p => s_environmentFolders.Contains(p) || p.EndsWith(".egg-info", StringComparison.Ordinal)) || parts[^1] == ".DS_Store";
    }

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} kB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.#} MB"),
    };

    /// <summary><paramref name="path"/> as bash reads it back in a command the user may paste: single-quoted unless plain.</summary>
    private static string ShellWord(string path) =>
        path.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '/' or '-' or '+' or ',' or '@' or '%' or ':' or '=')
            ? path
            : "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
