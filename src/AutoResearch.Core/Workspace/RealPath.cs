namespace AutoResearch.Core.Workspace;

/// <summary>Paths with their symbolic links resolved.</summary>
public static class RealPath
{
    /// <summary>
    /// <paramref name="fullPath"/> with every symbolic link resolved, like realpath(3) but allowing a missing tail (a file
    /// about to be created). Null when links loop.
    /// </summary>
    public static string? Resolve(string fullPath) => Resolve(fullPath, 0);

    /// <summary>True when <paramref name="path"/> is <paramref name="folder"/> or inside it, both compared with their links resolved.</summary>
    public static bool IsWithin(string path, string folder)
    {
        var real = Resolve(Path.GetFullPath(path)) ?? Path.GetFullPath(path);
        var top = (Resolve(Path.GetFullPath(folder)) ?? Path.GetFullPath(folder)).TrimEnd('/');
        return top.Length == 0 || real == top || real.StartsWith(top + "/", StringComparison.Ordinal);
    }

    private static string? Resolve(string fullPath, int depth)
    {
        if (depth > 40)
        {
            return null;
        }

        var current = Path.GetPathRoot(fullPath) ?? "/";
        foreach (var part in fullPath[current.Length..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            var target = new FileInfo(next).LinkTarget;
            if (target is null)
            {
                current = next;
                continue;
            }

            var resolved = Resolve(Path.GetFullPath(target, current), depth + 1);
            if (resolved is null)
            {
                return null;
            }

            current = resolved;
        }

        return current;
    }
}
