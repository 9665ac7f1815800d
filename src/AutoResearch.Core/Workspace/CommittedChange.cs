namespace AutoResearch.Core.Workspace;

/// <summary>A proposal, committed.</summary>
/// <param name="Commit">The candidate commit's id.</param>
/// <param name="ChangedPaths">Every path the change touched; a rename appears as both its old and its new name.</param>
/// <param name="Patch">The binary-safe patch from the parent to the candidate.</param>
public sealed record CommittedChange(string Commit, IReadOnlyList<string> ChangedPaths, string Patch)
{
    /// <summary>Each touched path with its mode before and after, as git records them (<c>000000</c> for absent).</summary>
    public IReadOnlyList<ModeChange> Modes { get; init; } = [];

    /// <summary>
    /// What git would make of the change that the harness never runs, one line each: a symbolic link (mode 120000, which
    /// may point anywhere, a read-only file or <c>/etc/passwd</c> included), a submodule (160000), or a file that is not a
    /// plain file. Empty for a change of plain files.
    /// </summary>
    public IReadOnlyList<string> ForbiddenModes() =>
        Modes.Where(m => m.New is not ("000000" or "100644" or "100755"))
            .Select(m => m.New switch
            {
                "120000" => $"{m.Path} is a symbolic link",
                "160000" => $"{m.Path} is a submodule (gitlink)",
                _ => $"{m.Path} has git mode {m.New}",
            })
            .ToList();
}

/// <summary>One path of a change with its git modes before and after.</summary>
/// <param name="Path">The path in the repository.</param>
/// <param name="Old">The mode in the parent (<c>000000</c> when it was absent).</param>
/// <param name="New">The mode in the candidate (<c>000000</c> when it was removed).</param>
public sealed record ModeChange(string Path, string Old, string New);
