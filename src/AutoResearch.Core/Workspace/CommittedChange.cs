namespace AutoResearch.Core.Workspace;

/// <summary>A proposal, committed.</summary>
/// <param name="Commit">The candidate commit's id.</param>
/// <param name="ChangedPaths">Every path the change touched; a rename appears as both its old and its new name.</param>
/// <param name="Patch">The binary-safe patch from the parent to the candidate.</param>
public sealed record CommittedChange(string Commit, IReadOnlyList<string> ChangedPaths, string Patch)
{
    /// <summary>Each touched path with its modes and blobs before and after, as git records them (<c>000000</c> for absent).</summary>
    public IReadOnlyList<PatchEntry> Entries { get; init; } = [];

    /// <summary>
    /// <paramref name="patch"/> with the data of each binary file (git's <c>GIT binary patch</c> block, base85) replaced by
    /// one line: what a person reads of a patch recorded before binary changes were refused.
    /// </summary>
    public static string WithoutBinaryData(string patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        if (!patch.Contains("GIT binary patch", StringComparison.Ordinal))
        {
            return patch;
        }

        var kept = new List<string>();
        var skipping = false;
        foreach (var line in patch.Split('\n'))
        {
            if (line.StartsWith("diff --git ", StringComparison.Ordinal))
            {
                skipping = false;
            }
            else if (line == "GIT binary patch")
            {
                skipping = true;
                kept.Add("Binary file changed (its data is not shown)");
                continue;
            }

            if (!skipping)
            {
                kept.Add(line);
            }
        }

        return string.Join('\n', kept);
    }

    /// <summary>
    /// What git would make of the change that the harness never runs, one line each: a symbolic link (mode 120000, which
    /// may point anywhere, a read-only file or <c>/etc/passwd</c> included), a submodule (160000), or a file that is not a
    /// plain file. Empty for a change of plain files.
    /// </summary>
    public IReadOnlyList<string> ForbiddenModes() =>
        Entries.Where(e => e.NewMode is not ("000000" or "100644" or "100755"))
            .Select(e => e.NewMode switch
            {
                "120000" => $"{e.Path} is a symbolic link",
                "160000" => $"{e.Path} is a submodule (gitlink)",
                _ => $"{e.Path} has git mode {e.NewMode}",
            })
            .ToList();
}
