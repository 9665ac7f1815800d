using System.Globalization;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>The lines of each file a unified diff touches on its old side (hunk ranges, context included), for merging.</summary>
internal static class PatchRanges
{
    /// <summary>
    /// Every hunk's old range as (path, first line, last line); a hunk that only inserts covers the line it inserts after and
    /// the next. Empty when the patch has no hunks it can read (a mode change, a binary or a new file: never merged).
    /// </summary>
    public static IReadOnlyList<(string Path, int From, int To)> Of(string patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var ranges = new List<(string, int, int)>();
        string? path = null;
        foreach (var line in patch.Split('\n'))
        {
            if (line.StartsWith("diff --git ", StringComparison.Ordinal))
            {
                path = null;
            }
            else if (line.StartsWith("--- ", StringComparison.Ordinal))
            {
                var name = line[4..].Split('\t')[0].TrimEnd('\r');
                path = name.StartsWith("a/", StringComparison.Ordinal) ? name[2..] : null;
            }
            else if (line.StartsWith("@@ -", StringComparison.Ordinal) && path is not null)
            {
                var end = line.IndexOf(' ', 4);
                if (end < 0 || !TryRange(line[4..end], out var start, out var count))
                {
                    return [];
                }

                ranges.Add(count == 0 ? (path, start, start + 1) : (path, start, start + count - 1));
            }
            else if (line.StartsWith("GIT binary patch", StringComparison.Ordinal) || line.StartsWith("new file mode", StringComparison.Ordinal)
                || line.StartsWith("deleted file mode", StringComparison.Ordinal) || line.StartsWith("old mode", StringComparison.Ordinal))
            {
                return [];
            }
        }

        return ranges;
    }

    private static bool TryRange(string text, out int start, out int count)
    {
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        count = 1;
        return comma < 0
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out start)
            : int.TryParse(text[..comma], NumberStyles.None, CultureInfo.InvariantCulture, out start)
              && int.TryParse(text[(comma + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out count);
    }
}
