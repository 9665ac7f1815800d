using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Workspace;

/// <summary>One entry a patch changes, as git reads it: modes (octal, <c>000000</c> when absent), blob ids and the path.</summary>
public sealed record PatchEntry(string OldMode, string NewMode, string OldBlob, string NewBlob, string Path)
{
    /// <summary>True for a symbolic link (mode 120000) or a submodule (160000) on either side.</summary>
    public bool IsLinkOrSubmodule => OldMode is "120000" or "160000" || NewMode is "120000" or "160000";

    /// <summary>
    /// Reads git's <c>-z --raw</c> records (<c>:old new oldsha newsha status NUL path NUL</c>, renames off) and, when <c>-p</c>
    /// was given too, the patch that follows them after a NUL of its own.
    /// </summary>
    /// <exception cref="WorkspaceException">The output is not git's raw format.</exception>
    internal static (IReadOnlyList<PatchEntry> Entries, string Patch) Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var entries = new List<PatchEntry>();
        var i = 0;
        while (i < output.Length && output[i] == ':')
        {
            var metaEnd = output.IndexOf('\0', i);
            var pathEnd = metaEnd < 0 ? -1 : output.IndexOf('\0', metaEnd + 1);
            var fields = metaEnd < 0 ? [] : output[(i + 1)..metaEnd].Split(' ');
            if (pathEnd < 0 || fields.Length < 5)
            {
                throw new WorkspaceException($"cannot read git's raw diff output at '{Short(output[i..])}'", isUsageError: false);
            }

            entries.Add(new PatchEntry(fields[0], fields[1], fields[2], fields[3], output[(metaEnd + 1)..pathEnd]));
            i = pathEnd + 1;
        }

        if (i < output.Length && output[i] == '\0')
        {
            i++;
        }

        return (entries, output[i..]);
    }

    internal static string Short(string text) => text.Length <= 120 ? text : text[..119] + "…";
}

/// <summary>
/// What a patch does, read by git rather than from its text: the patch is applied with <c>git apply --cached</c> to a scratch
/// index holding the parent's tree, and the changed entries are read back with <c>git diff-index</c>. Two patch texts that
/// git applies to the same files with the same result (different hunk context, header spacing, hunk or file order) have
/// the same <see cref="Identity"/>; a text trick that git does not read as a symlink is not one, and one it does is seen.
/// </summary>
/// <param name="Applies">False when git refuses to apply the patch to the parent; <see cref="Reason"/> says why.</param>
/// <param name="Reason">git's message when it refuses the patch; empty otherwise.</param>
/// <param name="Tree">The id of the tree the patch produces on its parent (what git would commit); empty when it does not apply.</param>
/// <param name="Entries">The entries that differ between the parent and <see cref="Tree"/>, in git's (path) order.</param>
public sealed record PatchEffect(bool Applies, string Reason, string Tree, IReadOnlyList<PatchEntry> Entries)
{
    /// <summary>
    /// The options every reader and applier of swarm patches uses, so that the coordinator and the workers agree on what a
    /// patch does: whitespace is taken as written, and hunks without context are placed where they say (as
    /// <c>git diff -U0</c> writes them); no fuzz.
    /// </summary>
    public static readonly IReadOnlyList<string> ApplyOptions = ["--whitespace=nowarn", "--unidiff-zero"];

    /// <summary>True when git does not apply the patch because the parent already holds its change (it applies in reverse).</summary>
    public bool AlreadyApplied { get; init; }

    /// <summary>
    /// The change itself, independent of the patch's text: SHA-256 over every changed entry's old and new mode, old and new
    /// blob and path. The same change made on two parents whose changed files are identical has the same identity.
    /// </summary>
    public string Identity { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
        string.Concat(Entries.Select(e => $"{e.OldMode} {e.NewMode} {e.OldBlob} {e.NewBlob} {e.Path}\n")))));

    /// <summary>
    /// The edit itself, independent of the parent it was made on: SHA-256 over git's own zero-context diff of the parent and
    /// the result, without its line numbers and blob ids (each file's path and mode lines, and the lines removed and added).
    /// A patch rebased onto a newer head, where the files it changes hold other edits too, has another <see cref="Identity"/>
    /// but the same signature; so a verifier sent a rebased claim cannot claim it as new on that head. Empty when git did not
    /// apply the patch.
    /// </summary>
    public string Signature { get; init; } = "";

    /// <summary>
    /// Applies <paramref name="patch"/> to <paramref name="parent"/> (a commit or tree) in a scratch index of the repository
    /// that git finds from <paramref name="repository"/> (a work tree or a bare repository) and reads the result. The
    /// repository's index and work tree are untouched; the new blobs and the tree are written to its object store. git runs
    /// neutralised (no hooks, no global or system config, no external programs).
    /// </summary>
    /// <exception cref="WorkspaceException">The parent cannot be read, or git fails other than by refusing the patch.</exception>
    public static Task<PatchEffect> ReadAsync(string repository, string parent, string patch, CancellationToken cancellationToken = default) =>
        ReadAsync(repository, parent, parentIndex: null, patch, cancellationToken);

    /// <summary>As <see cref="ReadAsync(string, string, string, CancellationToken)"/>; <paramref name="parentIndex"/>, when given,
    /// is an index file holding exactly <paramref name="parent"/>'s tree, copied instead of running <c>git read-tree</c>.</summary>
    internal static async Task<PatchEffect> ReadAsync(
        string repository, string parent, string? parentIndex, string patch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var scratch = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "autoresearch-patch-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(scratch);
        try
        {
            var patchFile = System.IO.Path.Combine(scratch, "patch");
            await File.WriteAllTextAsync(patchFile, patch, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
            var index = new Dictionary<string, string> { ["GIT_INDEX_FILE"] = System.IO.Path.Combine(scratch, "index") };
            if (parentIndex is null)
            {
                await RunAsync(repository, ["read-tree", parent], index, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                File.Copy(parentIndex, index["GIT_INDEX_FILE"]);
            }

            var (exit, _, stderr) = await Git.TryRunAsync(repository, ["apply", "--cached", .. ApplyOptions, patchFile], index, cancellationToken)
                .ConfigureAwait(false);
            if (exit != 0)
            {
                var reason = string.Join("; ", stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(l => l.StartsWith("error: ", StringComparison.Ordinal) ? l[7..] : l).Take(5));
                // A patch that applies backwards is already in the parent: say so rather than only that it does not apply.
                var (reverse, _, _) = await Git.TryRunAsync(repository, ["apply", "--cached", "--check", "-R", .. ApplyOptions, patchFile], index, cancellationToken)
                    .ConfigureAwait(false);
                return new PatchEffect(false, reason.Replace(patchFile, "patch", StringComparison.Ordinal), "", []) { AlreadyApplied = reverse == 0 };
            }

            // One diff-index for both: the raw records (modes, blobs, paths) and, after them, the zero-context patch of the signature.
            var raw = await RunAsync(
                repository,
                ["diff-index", "--cached", "-r", "--no-renames", "-z", "--raw", "-p", "-U0", "--no-ext-diff", "--no-textconv", "--no-color", parent],
                index,
                cancellationToken).ConfigureAwait(false);
            var tree = (await RunAsync(repository, ["write-tree"], index, cancellationToken).ConfigureAwait(false)).Trim();
            var (entries, edit) = PatchEntry.Parse(raw);
            return new PatchEffect(true, "", tree, entries) { Signature = SignatureOf(entries, edit) };
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
                // A scratch folder left in the temp directory is harmless.
            }
        }
    }

    /// <summary>
    /// Why this effect may not enter the chain, every reason: a symlink or submodule on either side of any entry, a path that
    /// leaves the workspace or names git's own files, an entry outside <paramref name="scope"/> (a mode change included).
    /// </summary>
    public IReadOnlyList<string> Problems(EditableScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var problems = new List<string>();
        foreach (var entry in Entries)
        {
            var path = entry.Path;
            if (entry.IsLinkOrSubmodule)
            {
                problems.Add($"'{PatchEntry.Short(path)}' is a {(entry.OldMode == "160000" || entry.NewMode == "160000" ? "submodule" : "symlink")} "
                    + $"as git reads the patch (mode {entry.OldMode} -> {entry.NewMode}): symlinks and submodules are refused");
            }
            else if (entry.NewMode is not ("100644" or "100755" or "000000"))
            {
                problems.Add($"'{PatchEntry.Short(path)}' gets mode {entry.NewMode}: only regular files (100644, 100755) are accepted");
            }

            if (path.Length == 0 || path.StartsWith('/') || path.Contains('\\', StringComparison.Ordinal) || path.Contains('\0', StringComparison.Ordinal)
                || path.Split('/').Any(part => part is ".." or "." or "" || part.Equals(".git", StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add($"path '{PatchEntry.Short(path)}' escapes the workspace or names git's own files");
            }
            else if (!scope.IsEditable(path))
            {
                problems.Add(entry.OldMode != entry.NewMode && entry.OldMode != "000000" && entry.NewMode != "000000" && entry.OldBlob == entry.NewBlob
                    ? $"mode change {entry.OldMode} -> {entry.NewMode} on '{PatchEntry.Short(path)}', which is not editable (editable: {string.Join(", ", scope.Globs)})"
                    : $"'{PatchEntry.Short(path)}' is not editable (editable: {string.Join(", ", scope.Globs)})");
            }
        }

        return problems.Distinct().ToList();
    }

    /// <summary>Writes <paramref name="parent"/>'s tree into the index file <paramref name="indexFile"/> (<c>git read-tree</c>).</summary>
    internal static Task ReadTreeAsync(string repository, string parent, string indexFile, CancellationToken cancellationToken) =>
        RunAsync(repository, ["read-tree", parent], new Dictionary<string, string> { ["GIT_INDEX_FILE"] = indexFile }, cancellationToken);

    private static async Task<string> RunAsync(string repository, string[] arguments, Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var (exit, stdout, stderr) = await Git.TryRunAsync(repository, arguments, environment, cancellationToken).ConfigureAwait(false);
        if (exit != 0)
        {
            throw new WorkspaceException($"git {string.Join(' ', arguments)} failed in {repository} (exit {exit}): {stderr.Trim()}", isUsageError: false);
        }

        return stdout;
    }

    /// <summary>
    /// One file's part of a <see cref="Signature"/>: its path, the mode lines of git's diff (<c>new file mode</c>, <c>old mode</c>
    /// and the like), the lines on the old side and on the new side (each with its newline when it has one; lines on both
    /// sides cancel, so whole files or only a diff's removed and added lines give the same answer) and the new blob.
    /// </summary>
    internal sealed record LineChange(string Path, IReadOnlyList<string> ModeLines, IReadOnlyList<string> Old, IReadOnlyList<string> New, string NewBlob);

    /// <summary>
    /// The <see cref="Signature"/> of changed files: per file in path order, its path, mode lines, and the lines only the old
    /// side has and the lines only the new side has, as sorted multisets. That is the same for every diff of the same two
    /// contents (whatever the diff algorithm), and for the same edit on a parent that differs elsewhere. A file whose lines
    /// only moved adds its new blob, so that two different orders of the same lines differ.
    /// </summary>
    internal static string SignatureOf(IEnumerable<LineChange> files)
    {
        var text = new StringBuilder();
        foreach (var file in files)
        {
            var count = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var line in file.Old)
            {
                count[line] = count.GetValueOrDefault(line) + 1;
            }

            foreach (var line in file.New)
            {
                count[line] = count.GetValueOrDefault(line) - 1;
            }

            text.Append(CultureInfo.InvariantCulture, $"file {file.Path.Length}:{file.Path}\n");
            foreach (var mode in file.ModeLines)
            {
                text.Append(mode).Append('\n');
            }

            var moved = true;
            foreach (var (line, n) in count.Where(c => c.Value != 0).OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                moved = false;
                text.Append(CultureInfo.InvariantCulture, $"{(n > 0 ? '-' : '+')}{Math.Abs(n)} {line.Length}:{line}\n");
            }

            if (moved && file.ModeLines.Count == 0)
            {
                text.Append("order ").Append(file.NewBlob).Append('\n');
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The <see cref="Signature"/> of git's zero-context diff (<paramref name="unifiedZero"/>) of <paramref name="entries"/>, one section each in their order.</summary>
    internal static string SignatureOf(IReadOnlyList<PatchEntry> entries, string unifiedZero)
    {
        var sections = ("\n" + unifiedZero).Split("\ndiff --git ").Skip(1).ToList();
        var files = new List<LineChange>();
        for (var i = 0; i < entries.Count; i++)
        {
            var lines = i < sections.Count && sections.Count == entries.Count ? sections[i].Split('\n') : [];
            var modes = new List<string>();
            var old = new List<string>();
            var added = new List<string>();
            var inHunk = false;
            for (var k = 1; k < lines.Length; k++)
            {
                var line = lines[k];
                if (line.StartsWith("@@ ", StringComparison.Ordinal))
                {
                    inHunk = true;
                }
                else if (!inHunk)
                {
                    if (line.StartsWith("new file mode ", StringComparison.Ordinal) || line.StartsWith("deleted file mode ", StringComparison.Ordinal)
                        || line.StartsWith("old mode ", StringComparison.Ordinal) || line.StartsWith("new mode ", StringComparison.Ordinal))
                    {
                        modes.Add(line);
                    }
                }
                else if (line.Length > 0 && line[0] is '-' or '+')
                {
                    var noNewline = k + 1 < lines.Length && lines[k + 1].StartsWith("\\ ", StringComparison.Ordinal);
                    (line[0] == '-' ? old : added).Add(noNewline ? line[1..] : line[1..] + "\n");
                }
            }

            files.Add(new LineChange(entries[i].Path, modes, old, added, entries[i].NewBlob));
        }

        return SignatureOf(files.OrderBy(f => f.Path, StringComparer.Ordinal));
    }
}
