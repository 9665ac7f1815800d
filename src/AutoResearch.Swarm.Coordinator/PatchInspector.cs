using System.Globalization;
using System.Text;
using AutoResearch.Core.Spec;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// The first, textual check of a claimed patch (git's unified diff): every path it names (diff header, ---/+++ lines,
/// renames and copies) must be editable, relative, without <c>..</c>, backslashes or a <c>.git</c> folder; not empty; not
/// larger than the project allows. Modes are not read here: git reads them (<see cref="Core.Workspace.PatchEffect"/>), since
/// git accepts spellings of a mode that no text match foresees.
/// </summary>
internal static class PatchInspector
{
    /// <summary>Why the patch is refused, every reason; empty when it may be verified.</summary>
    public static IReadOnlyList<string> Problems(string patch, EditableScope scope, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(patch);
        ArgumentNullException.ThrowIfNull(scope);
        var problems = new List<string>();
        var bytes = Encoding.UTF8.GetByteCount(patch);
        if (bytes > maxBytes)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"patch is {bytes} bytes, over the project's limit of {maxBytes}"));
            return problems;
        }

        var files = 0;
        foreach (var line in patch.Split('\n'))
        {
            if (line.StartsWith("diff --git ", StringComparison.Ordinal))
            {
                files++;
                var rest = line["diff --git ".Length..];
                if (rest.Contains('"', StringComparison.Ordinal))
                {
                    problems.Add($"quoted path in '{Short(line)}': names with special characters are refused");
                    continue;
                }

                var split = rest.IndexOf(" b/", StringComparison.Ordinal);
                if (!rest.StartsWith("a/", StringComparison.Ordinal) || split < 0)
                {
                    problems.Add($"cannot read the paths of '{Short(line)}'");
                    continue;
                }

                CheckPath(rest[2..split], scope, problems);
                CheckPath(rest[(split + 3)..], scope, problems);
            }
            else if (line.StartsWith("--- ", StringComparison.Ordinal) || line.StartsWith("+++ ", StringComparison.Ordinal))
            {
                // As git reads it: a tab ends the name (a timestamp may follow, as diff -u writes it).
                var path = line[4..].Split('\t')[0].TrimEnd('\r');
                if (path != "/dev/null")
                {
                    if (path.Length < 2 || (path[0] != 'a' && path[0] != 'b') || path[1] != '/')
                    {
                        problems.Add($"unexpected file line '{Short(line)}'");
                    }
                    else
                    {
                        CheckPath(path[2..], scope, problems);
                    }
                }
            }
            else if (line.StartsWith("rename from ", StringComparison.Ordinal) || line.StartsWith("copy from ", StringComparison.Ordinal))
            {
                CheckPath(line[(line.IndexOf(" from ", StringComparison.Ordinal) + 6)..], scope, problems);
            }
            else if (line.StartsWith("rename to ", StringComparison.Ordinal) || line.StartsWith("copy to ", StringComparison.Ordinal))
            {
                CheckPath(line[(line.IndexOf(" to ", StringComparison.Ordinal) + 4)..], scope, problems);
            }
        }

        if (files == 0)
        {
            problems.Add("patch changes no file (expected git diff output with 'diff --git' headers)");
        }

        return problems.Distinct().ToList();
    }

    private static void CheckPath(string path, EditableScope scope, List<string> problems)
    {
        path = path.TrimEnd('\r');
        if (path.Length == 0 || path.Contains('\\', StringComparison.Ordinal) || path.Contains('\0', StringComparison.Ordinal)
            || path.StartsWith('/') || path.Split('/').Any(part => part is ".." or "." or ".git" or ""))
        {
            problems.Add($"path '{Short(path)}' escapes the workspace or names git's own files");
        }
        else if (!scope.IsEditable(path))
        {
            problems.Add($"'{Short(path)}' is not editable (editable: {string.Join(", ", scope.Globs)})");
        }
    }

    private static string Short(string text) => text.Length <= 120 ? text : text[..119] + "…";
}
