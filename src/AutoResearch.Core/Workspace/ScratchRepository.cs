namespace AutoResearch.Core.Workspace;

/// <summary>
/// A bare repository in a temporary folder that borrows a workspace's objects (git alternates): patches are read in it
/// (<see cref="PatchEffect"/>) without writing to the workspace, and its config is ours, not the workspace's. Deleted on dispose.
/// The commonest patches are read without git (<see cref="DirectPatch"/>) over a listing of the parent's tree and its blobs,
/// both kept (a few trees, blobs up to <see cref="BlobCacheBytes"/>); the rest go to git.
/// </summary>
public sealed class ScratchRepository : IDisposable
{
    /// <summary>The most blob content kept for the direct reader, in bytes.</summary>
    public const long BlobCacheBytes = 32L << 20;

    /// <summary>The most tree listings kept (the heads claims are made on: the newest few).</summary>
    private const int ListingsKept = 16;

    private readonly Lock _lock = new();
    private readonly LinkedList<(string Parent, Task<TreeListing?> Listing)> _listings = new();
    private readonly Dictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);
    private readonly Queue<string> _blobOrder = new();
    private long _blobBytes;

    private ScratchRepository(string path) => Path = path;

    private long _direct;
    private long _byGit;

    /// <summary>How many patches were read without git, and how many by git (for tests and benchmarks).</summary>
    public (long Direct, long ByGit) Reads => (Interlocked.Read(ref _direct), Interlocked.Read(ref _byGit));

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
    /// Reads what <paramref name="patch"/> does to <paramref name="parent"/> (a commit or tree id), as
    /// <see cref="PatchEffect.ReadAsync(string, string, string, CancellationToken)"/> does. A plain edit of existing files on a
    /// SHA-1 parent is read without git (<see cref="DirectPatch"/>: no process, nothing written); any other patch by git
    /// (<see cref="ApplyAsync"/>), whose parent index is written once (<c>git read-tree</c>) and copied for every later patch
    /// on it.
    /// </summary>
    public async Task<PatchEffect> ReadAsync(string parent, string patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(patch);
        if (parent.Length is not (40 or 64) || !parent.All(char.IsAsciiHexDigitLower))
        {
            // Not an object id (a ref or an abbreviation): it may move, so it gets no kept index or listing.
            return await ApplyAsync(parent, patch, cancellationToken).ConfigureAwait(false);
        }

        if (parent.Length == 40 && DirectPatch.Parse(patch) is { } edits)
        {
            try
            {
                var read = await ListingAsync(parent).ConfigureAwait(false);
                if (read is null)
                {
                    // Not kept: git may list it next time.
                    Forget(parent);
                }

                if (read is { Verified: true } listing
                    && await ContentsAsync(listing, edits, cancellationToken).ConfigureAwait(false) is { } contents
                    && DirectPatch.Apply(listing, edits, contents) is { } effect)
                {
                    Interlocked.Increment(ref _direct);
                    return effect;
                }
            }
            catch (WorkspaceException)
            {
                // git could not list the parent or read a blob just now: git reads the patch (and says why if it cannot).
                Forget(parent);
            }
        }

        return await ApplyAsync(parent, patch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads what <paramref name="patch"/> does to <paramref name="parent"/> (a commit or tree id) with git, which writes the
    /// resulting blobs and tree to this repository's object store: for a patch whose tree later patches are read against
    /// (a link of a chain). <see cref="ReadAsync"/> may answer without git and then writes nothing.
    /// </summary>
    public async Task<PatchEffect> ApplyAsync(string parent, string patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(patch);
        Interlocked.Increment(ref _byGit);
        if (parent.Length is not (40 or 64) || !parent.All(char.IsAsciiHexDigitLower))
        {
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

    /// <summary>
    /// The zero-context patch (<c>git diff -U0 --binary</c>, as <see cref="PatchEffect.ApplyOptions"/> apply it) that takes
    /// <paramref name="from"/> to <paramref name="to"/> (commit or tree ids in this repository's object store, such as the trees
    /// <see cref="ApplyAsync"/> writes).
    /// </summary>
    /// <exception cref="WorkspaceException">git cannot read either side.</exception>
    public Task<string> DiffAsync(string from, string to, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        return Git.RunAsync(Path, ["diff-tree", "-p", "-U0", "--binary", "--no-renames", "--full-index", from, to], cancellationToken);
    }

    /// <summary>The listing of <paramref name="parent"/>'s tree, read once (null when git cannot list it: git reads the patch then).</summary>
    private Task<TreeListing?> ListingAsync(string parent)
    {
        lock (_lock)
        {
            for (var node = _listings.First; node is not null; node = node.Next)
            {
                if (node.Value.Parent == parent)
                {
                    _listings.Remove(node);
                    _listings.AddFirst(node);
                    return node.Value.Listing;
                }
            }

            var listing = ReadListingAsync(parent);
            _listings.AddFirst((parent, listing));
            if (_listings.Count > ListingsKept)
            {
                _listings.RemoveLast();
            }

            return listing;
        }
    }

    /// <summary>The blobs of the files <paramref name="edits"/> change, or null when one is too large to keep (git reads the patch then).</summary>
    private async Task<Dictionary<string, byte[]>?> ContentsAsync(TreeListing listing, IReadOnlyList<DirectPatch.FileEdit> edits, CancellationToken cancellationToken)
    {
        var contents = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var edit in edits)
        {
            if (listing.TryGetBlob(edit.Path, out _, out var blob))
            {
                if (await BlobAsync(blob, cancellationToken).ConfigureAwait(false) is not { } content)
                {
                    return null;
                }

                contents[edit.Path] = content;
            }
        }

        return contents;
    }

    /// <summary>Drops the kept listing of <paramref name="parent"/> (one that failed is read again next time, not kept failing).</summary>
    private void Forget(string parent)
    {
        lock (_lock)
        {
            for (var node = _listings.First; node is not null; node = node.Next)
            {
                if (node.Value.Parent == parent)
                {
                    _listings.Remove(node);
                    return;
                }
            }
        }
    }

    private async Task<TreeListing?> ReadListingAsync(string parent)
    {
        // Not cancellable: the listing is shared by every reader of this parent.
        var (exit, tree, _) = await Git.TryRunAsync(Path, ["rev-parse", "--verify", "--quiet", parent + "^{tree}"]).ConfigureAwait(false);
        if (exit != 0)
        {
            return null;
        }

        var (listed, text, _) = await Git.TryRunAsync(Path, ["ls-tree", "-r", "-t", "-z", "--full-tree", tree.Trim()]).ConfigureAwait(false);
        return listed == 0 ? TreeListing.Parse(tree.Trim(), text) : null;
    }

    /// <summary>A blob's content, or null when it is larger than a quarter of <see cref="BlobCacheBytes"/> (git reads such patches).</summary>
    private async Task<byte[]?> BlobAsync(string blob, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_blobs.TryGetValue(blob, out var known))
            {
                return known;
            }
        }

        var size = await Git.RunAsync(Path, ["cat-file", "-s", blob], cancellationToken).ConfigureAwait(false);
        if (!long.TryParse(size.Trim(), System.Globalization.CultureInfo.InvariantCulture, out var bytes) || bytes > BlobCacheBytes / 4)
        {
            return null;
        }

        var content = await Git.ReadBytesAsync(Path, ["cat-file", "blob", blob], cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            if (_blobs.TryAdd(blob, content))
            {
                _blobOrder.Enqueue(blob);
                _blobBytes += content.Length;
                while (_blobBytes > BlobCacheBytes && _blobOrder.TryDequeue(out var oldest))
                {
                    _blobBytes -= _blobs[oldest].Length;
                    _blobs.Remove(oldest);
                }
            }
        }

        return content;
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
