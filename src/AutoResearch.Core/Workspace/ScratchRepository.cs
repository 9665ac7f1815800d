namespace AutoResearch.Core.Workspace;

/// <summary>
/// A bare repository in a temporary folder that borrows a workspace's objects (git alternates): patches are read in it
/// (<see cref="PatchEffect"/>) without writing to the workspace, and its config is ours, not the workspace's. Deleted on dispose.
/// </summary>
public sealed class ScratchRepository : IDisposable
{
    private ScratchRepository(string path) => Path = path;

    /// <summary>The bare repository's folder.</summary>
    public string Path { get; }

    /// <summary>Creates a scratch repository over the objects of the git repository at <paramref name="workspace"/>.</summary>
    /// <exception cref="WorkspaceException"><paramref name="workspace"/> is not a git repository, or git fails.</exception>
    public static async Task<ScratchRepository> CreateAsync(string workspace, CancellationToken cancellationToken = default)
    {
        var common = (await Git.RunAsync(workspace, ["rev-parse", "--git-common-dir"], cancellationToken).ConfigureAwait(false)).Trim();
        var objects = System.IO.Path.GetFullPath(System.IO.Path.Combine(workspace, common, "objects"));
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "autoresearch-scratch-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(path);
        await Git.RunAsync(path, ["init", "--quiet", "--bare", path], cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(System.IO.Path.Combine(path, "objects", "info", "alternates"), objects + "\n", cancellationToken).ConfigureAwait(false);
        return new ScratchRepository(path);
    }

    /// <summary>
    /// Reads what <paramref name="patch"/> does to <paramref name="parent"/> (a commit or tree id); see
    /// <see cref="PatchEffect.ReadAsync(string, string, string, CancellationToken)"/>. The parent's index is written once
    /// (<c>git read-tree</c>) and copied for every later patch on it: three git processes a patch instead of four.
    /// </summary>
    public async Task<PatchEffect> ReadAsync(string parent, string patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parent);
        if (parent.Length is not (40 or 64) || !parent.All(char.IsAsciiHexDigitLower))
        {
            // Not an object id (a ref or an abbreviation): it may move, so it gets no kept index.
            return await PatchEffect.ReadAsync(Path, parent, patch, cancellationToken).ConfigureAwait(false);
        }

        var indexFile = System.IO.Path.Combine(Path, "parent-index-" + parent);
        if (!File.Exists(indexFile))
        {
            // Written aside and renamed, so a concurrent reader sees a whole index or none.
            var partial = indexFile + "." + Guid.NewGuid().ToString("N");
            await PatchEffect.ReadTreeAsync(Path, parent, partial, cancellationToken).ConfigureAwait(false);
            File.Move(partial, indexFile, overwrite: true);
        }

        return await PatchEffect.ReadAsync(Path, parent, indexFile, patch, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A scratch repository left in the temp directory is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // git writes its objects read-only; on systems that refuse to delete them, the folder stays behind.
        }
    }
}
