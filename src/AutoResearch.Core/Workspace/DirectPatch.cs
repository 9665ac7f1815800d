using System.Globalization;
using System.Text;

namespace AutoResearch.Core.Workspace;

/// <summary>
/// Reads, without running git, what the commonest patches do: text edits of existing regular files in git's own format
/// (<c>diff --git</c>, an optional <c>index</c> line, <c>---</c>/<c>+++</c>, hunks) whose every hunk matches exactly where git
/// tries first. For those, the result is what <c>git apply --cached --unidiff-zero --whitespace=nowarn</c> followed by
/// <c>write-tree</c> gives: the same blobs, the same tree, the same entries. Anything else (a new, deleted or renamed file, a
/// mode line, a binary patch, quoted or odd paths, text git skips, a hunk git would have to search for, overlapping hunks,
/// a file that looks binary) is not read here: <see cref="Parse"/> or <see cref="Apply"/> answer null and git reads it.
/// </summary>
/// <remarks>
/// The rules follow git's: a hunk's preimage is looked for first at its new start line less one (at the top when its old
/// start is 0), within the file, over lines no earlier hunk wrote; hunk headers' counts must be exact; a hunk that changes
/// nothing is corrupt. A match here is an exact, line by line match, which git also accepts at that place. The tests
/// compare this reader with git over many generated patches.
/// </remarks>
public static class DirectPatch
{
    private const string NoNewline = "\\ No newline at end of file";

    /// <summary>One file's edit: its path, the mode its <c>index</c> line names (empty when none) and its hunks.</summary>
    public sealed record FileEdit(string Path, string IndexMode, IReadOnlyList<Hunk> Hunks);

    /// <summary>A hunk: where it says it starts (old and new side) and the lines it expects and writes, each with its newline if it has one.</summary>
    public sealed record Hunk(int OldStart, int NewStart, IReadOnlyList<byte[]> Before, IReadOnlyList<byte[]> After);

    /// <summary>The files the patch edits, or null when it is not a patch this reader reads (git reads it then).</summary>
    public static IReadOnlyList<FileEdit>? Parse(string patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        if (patch.Length == 0 || patch[^1] != '\n' || patch.AsSpan().IndexOfAny('\r', '\0') >= 0)
        {
            return null;
        }

        var lines = patch[..^1].Split('\n');
        var files = new List<FileEdit>();
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var i = 0;
        while (i < lines.Length)
        {
            if (!lines[i].StartsWith("diff --git a/", StringComparison.Ordinal))
            {
                return null;
            }

            var path = lines[i]["diff --git a/".Length..];
            var half = (path.Length - 3) / 2;
            if (half <= 0 || path.Length % 2 == 0 || path[..half] != path[(half + 3)..] || path.Substring(half, 3) != " b/")
            {
                return null;
            }

            path = path[..half];
            if (!IsPlainPath(path) || !paths.Add(path))
            {
                return null;
            }

            i++;
            var indexMode = "";
            if (i < lines.Length && lines[i].StartsWith("index ", StringComparison.Ordinal))
            {
                var parts = lines[i]["index ".Length..].Split(' ');
                var ids = parts[0].Split("..");
                if (parts.Length > 2 || ids.Length != 2 || !ids.All(IsHex) || (parts.Length == 2 && parts[1] is not ("100644" or "100755")))
                {
                    return null;
                }

                indexMode = parts.Length == 2 ? parts[1] : "";
                i++;
            }

            if (i + 1 >= lines.Length || lines[i] != "--- a/" + path || lines[i + 1] != "+++ b/" + path)
            {
                return null;
            }

            i += 2;
            var hunks = new List<Hunk>();
            while (i < lines.Length && lines[i].StartsWith("@@ -", StringComparison.Ordinal))
            {
                var hunk = ReadHunk(lines, ref i);
                if (hunk is null)
                {
                    return null;
                }

                hunks.Add(hunk);
            }

            if (hunks.Count == 0)
            {
                return null;
            }

            files.Add(new FileEdit(path, indexMode, hunks));
        }

        return files.Count == 0 ? null : files;
    }

    /// <summary>
    /// Applies the edits to the files of <paramref name="parent"/> (<paramref name="contents"/>: each edited path's blob
    /// content) as git would, and returns the effect, or null when git must decide (a hunk that does not match where git tries
    /// first, a file git would show as binary, a path that is not a regular file of the parent).
    /// </summary>
    public static PatchEffect? Apply(TreeListing parent, IReadOnlyList<FileEdit> edits, IReadOnlyDictionary<string, byte[]> contents)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(edits);
        ArgumentNullException.ThrowIfNull(contents);
        if (!parent.Verified)
        {
            return null;
        }

        var entries = new List<PatchEntry>();
        var newBlobs = new Dictionary<string, string>(StringComparer.Ordinal);
        var lineChanges = new List<(string Path, List<byte[]> Old, List<byte[]> New, string NewBlob)>();
        foreach (var edit in edits)
        {
            if (!parent.TryGetBlob(edit.Path, out var mode, out var oldBlob) || mode is not ("100644" or "100755")
                || (edit.IndexMode.Length > 0 && edit.IndexMode != mode)
                || !contents.TryGetValue(edit.Path, out var content) || LooksBinary(content))
            {
                return null;
            }

            var old = SplitLines(content);
            var image = new List<byte[]>(old);
            var written = new List<bool>(new bool[image.Count]);
            foreach (var hunk in edit.Hunks)
            {
                var at = hunk.OldStart == 0 ? 0 : Math.Max(hunk.NewStart - 1, 0);
                at = Math.Min(at, image.Count);
                if (at + hunk.Before.Count > image.Count)
                {
                    return null;
                }

                for (var k = 0; k < hunk.Before.Count; k++)
                {
                    if (written[at + k] || !image[at + k].AsSpan().SequenceEqual(hunk.Before[k]))
                    {
                        return null;
                    }
                }

                image.RemoveRange(at, hunk.Before.Count);
                image.InsertRange(at, hunk.After);
                written.RemoveRange(at, hunk.Before.Count);
                written.InsertRange(at, Enumerable.Repeat(true, hunk.After.Count));
            }

            // A line without its newline anywhere but at the end is not a file git would write.
            if (image.SkipLast(1).Any(l => l.Length == 0 || l[^1] != (byte)'\n'))
            {
                return null;
            }

            var result = image.SelectMany(l => l).ToArray();
            if (LooksBinary(result))
            {
                return null;
            }

            var newBlob = TreeListing.ObjectId("blob", result);
            if (newBlob != oldBlob)
            {
                entries.Add(new PatchEntry(mode, mode, oldBlob, newBlob, edit.Path));
                newBlobs[edit.Path] = newBlob;
                lineChanges.Add((edit.Path, old, image, newBlob));
            }
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        var signature = PatchEffect.SignatureOf(lineChanges
            .OrderBy(c => c.Path, StringComparer.Ordinal)
            .Select(c => new PatchEffect.LineChange(c.Path, [], c.Old.Select(Text).ToList(), c.New.Select(Text).ToList(), c.NewBlob)));
        return new PatchEffect(true, "", parent.TreeIdWith(newBlobs), entries) { Signature = signature };
    }

    /// <summary>The lines of a file's content, each with its newline (the last one may have none).</summary>
    internal static List<byte[]> SplitLines(byte[] content)
    {
        var lines = new List<byte[]>();
        var start = 0;
        while (start < content.Length)
        {
            var end = Array.IndexOf(content, (byte)'\n', start);
            end = end < 0 ? content.Length : end + 1;
            lines.Add(content[start..end]);
            start = end;
        }

        return lines;
    }

    /// <summary>As git decides a blob is binary for its diff: a NUL in its first 8,000 bytes.</summary>
    private static bool LooksBinary(byte[] content) => Array.IndexOf(content, (byte)0, 0, Math.Min(content.Length, 8000)) >= 0;

    private static string Text(byte[] line) => Encoding.UTF8.GetString(line);

    private static Hunk? ReadHunk(string[] lines, ref int i)
    {
        if (!TryReadHeader(lines[i], out var oldStart, out var oldCount, out var newStart, out var newCount))
        {
            return null;
        }

        i++;
        var before = new List<byte[]>();
        var after = new List<byte[]>();
        var changed = false;
        while (oldCount > 0 || newCount > 0)
        {
            if (i >= lines.Length || lines[i].Length == 0)
            {
                return null;
            }

            var line = Encoding.UTF8.GetBytes(lines[i][1..] + "\n");
            switch (lines[i][0])
            {
                case ' ':
                    before.Add(line);
                    after.Add(line);
                    oldCount--;
                    newCount--;
                    break;
                case '-':
                    before.Add(line);
                    oldCount--;
                    changed = true;
                    break;
                case '+':
                    after.Add(line);
                    newCount--;
                    changed = true;
                    break;
                default:
                    return null;
            }

            if (oldCount < 0 || newCount < 0)
            {
                return null;
            }

            var kind = lines[i][0];
            i++;
            if (i < lines.Length && lines[i] == NoNewline)
            {
                // The line before has no newline: only the last line of the side(s) it belongs to may say so.
                if ((kind != '+' && oldCount != 0) || (kind != '-' && newCount != 0))
                {
                    return null;
                }

                if (kind != '+')
                {
                    before[^1] = before[^1][..^1];
                }

                if (kind != '-')
                {
                    after[^1] = after[^1][..^1];
                }

                i++;
            }
            else if (i < lines.Length && lines[i].StartsWith('\\'))
            {
                return null;
            }
        }

        return changed ? new Hunk(oldStart, newStart, before, after) : null;
    }

    /// <summary>Reads <c>@@ -A[,B] +C[,D] @@</c>, optionally followed by a space and any text; counts default to 1.</summary>
    private static bool TryReadHeader(string line, out int oldStart, out int oldCount, out int newStart, out int newCount)
    {
        oldStart = oldCount = newStart = newCount = 0;
        var close = line.IndexOf(" @@", 4, StringComparison.Ordinal);
        if (close < 0 || (line.Length > close + 3 && line[close + 3] != ' '))
        {
            return false;
        }

        var ranges = line[4..close].Split(" +");
        return ranges.Length == 2 && TryReadRange(ranges[0], out oldStart, out oldCount) && TryReadRange(ranges[1], out newStart, out newCount);
    }

    private static bool TryReadRange(string text, out int start, out int count)
    {
        start = 0;
        count = 1;
        var parts = text.Split(',');
        return parts.Length <= 2 && parts.All(p => p.Length is > 0 and <= 8 && p.All(char.IsAsciiDigit))
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out start)
            && (parts.Length == 1 || int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out count));
    }

    /// <summary>A path git writes unquoted and that leaves nothing to interpretation: printable ASCII, no space, quote or backslash, plain components.</summary>
    private static bool IsPlainPath(string path) =>
        path.Length is > 0 and < 4096 && path.All(c => c is > ' ' and < (char)127 and not '"' and not '\\')
        && path.Split('/').All(part => part is not ("" or "." or ".."));

    private static bool IsHex(string id) => id.Length is >= 4 and <= 64 && id.All(char.IsAsciiHexDigit);
}
