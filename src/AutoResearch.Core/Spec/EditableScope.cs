using Microsoft.Extensions.FileSystemGlobbing;

namespace AutoResearch.Core.Spec;

/// <summary>
/// The <c>[scope]</c> section: the files a proposer may change, as globs relative to the workspace root
/// (<c>train.cs</c>, <c>src/**/*.py</c>). Everything else is read-only. The harness's own files and the
/// spec itself are never editable, whatever the globs say.
/// </summary>
public sealed class EditableScope
{
    private static readonly string[] s_neverEditable = ["autoresearch.toml", ".autoresearch/**", ".git/**", ".gitignore"];
    private readonly Matcher _matcher;

    public EditableScope(IReadOnlyList<string> globs)
    {
        ArgumentNullException.ThrowIfNull(globs);
        Globs = globs;
        _matcher = new Matcher(StringComparison.Ordinal);
        foreach (var glob in globs)
        {
            _matcher.AddInclude(glob);
        }

        foreach (var path in s_neverEditable)
        {
            _matcher.AddExclude(path);
        }
    }

    /// <summary>The globs as written.</summary>
    public IReadOnlyList<string> Globs { get; }

    /// <summary>The globs, as written, that match none of <paramref name="files"/> (paths relative to the root).</summary>
    public IReadOnlyList<string> Unmatched(IReadOnlyCollection<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        return Globs.Where(glob =>
        {
            var one = new Matcher(StringComparison.Ordinal);
            one.AddInclude(glob);
            foreach (var path in s_neverEditable)
            {
                one.AddExclude(path);
            }

            return !files.Any(f => one.Match(f).HasMatches);
        }).ToList();
    }

    /// <summary>True when <paramref name="relativePath"/> (forward slashes, relative to the root) may be edited.</summary>
    public bool IsEditable(string relativePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(relativePath);
        var path = relativePath.Replace('\\', '/');
        if (path.StartsWith('/') || path.Split('/').Contains(".."))
        {
            return false;
        }

        return _matcher.Match(path).HasMatches;
    }
}
