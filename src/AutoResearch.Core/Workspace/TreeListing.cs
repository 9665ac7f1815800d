using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AutoResearch.Core.Workspace;

/// <summary>
/// A git tree as <c>git ls-tree -r -t -z</c> lists it: every blob with its mode and id, and every folder with its entries, so
/// the ids of the tree and its subtrees can be computed again after some blobs change (<see cref="TreeIdWith"/>), without git.
/// A listing is only trusted when the root id it computes from its own entries is the id git gave for the tree
/// (<see cref="Verified"/>): a repository of another object format or a tree git would not write is read by git instead.
/// </summary>
public sealed class TreeListing
{
    private readonly Dictionary<string, List<Child>> _folders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Mode, string Blob)> _blobs = new(StringComparer.Ordinal);

    private TreeListing(string treeId) => TreeId = treeId;

    /// <summary>The id of the listed tree, as git gave it.</summary>
    public string TreeId { get; }

    /// <summary>True when the entries hash back to <see cref="TreeId"/> as SHA-1 trees: the listing can stand in for git.</summary>
    public bool Verified { get; private set; }

    /// <summary>The mode (octal, six digits) and blob id of the file at <paramref name="path"/>; false when no blob is there.</summary>
    public bool TryGetBlob(string path, out string mode, out string blob)
    {
        var found = _blobs.TryGetValue(path, out var entry);
        (mode, blob) = entry;
        return found;
    }

    /// <summary>
    /// Reads git's listing (<c>mode SP type SP id TAB path NUL</c>, trees included, recursive) of the tree
    /// <paramref name="treeId"/> and checks it against that id.
    /// </summary>
    /// <exception cref="WorkspaceException">The text is not git's listing format.</exception>
    public static TreeListing Parse(string treeId, string listing)
    {
        ArgumentNullException.ThrowIfNull(treeId);
        ArgumentNullException.ThrowIfNull(listing);
        var tree = new TreeListing(treeId);
        tree._folders[""] = [];
        foreach (var record in listing.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = record.IndexOf('\t', StringComparison.Ordinal);
            var fields = tab < 0 ? [] : record[..tab].Split(' ');
            if (fields.Length != 3)
            {
                throw new WorkspaceException($"cannot read git's tree listing at '{PatchEntry.Short(record)}'", isUsageError: false);
            }

            var (mode, type, id, path) = (fields[0], fields[1], fields[2], record[(tab + 1)..]);
            var slash = path.LastIndexOf('/');
            var (folder, name) = slash < 0 ? ("", path) : (path[..slash], path[(slash + 1)..]);
            if (!tree._folders.TryGetValue(folder, out var children))
            {
                // git lists a folder before its entries; an entry under an unlisted folder is not its format.
                throw new WorkspaceException($"git's tree listing names '{PatchEntry.Short(path)}' before its folder", isUsageError: false);
            }

            children.Add(new Child(name, mode.TrimStart('0'), id, type == "tree"));
            if (type == "tree")
            {
                tree._folders[path] = [];
            }
            else if (type == "blob")
            {
                tree._blobs[path] = (mode, id);
            }
        }

        tree.Verified = treeId.Length == 40 && tree.TreeIdWith(new Dictionary<string, string>(StringComparer.Ordinal)) == treeId;
        return tree;
    }

    /// <summary>
    /// The id of this tree with the blobs of some files replaced (<paramref name="newBlobs"/>: path to new blob id, each an
    /// existing file of the tree): every folder on the way to a changed file is hashed again as git writes trees.
    /// </summary>
    public string TreeIdWith(IReadOnlyDictionary<string, string> newBlobs)
    {
        ArgumentNullException.ThrowIfNull(newBlobs);
        var changedFolders = new HashSet<string>(StringComparer.Ordinal) { "" };
        foreach (var path in newBlobs.Keys)
        {
            for (var slash = path.LastIndexOf('/'); slash > 0; slash = path.LastIndexOf('/', slash - 1))
            {
                changedFolders.Add(path[..slash]);
            }
        }

        return Hash("");

        string Hash(string folder)
        {
            using var body = new MemoryStream();
            foreach (var child in _folders[folder].OrderBy(c => c.IsTree ? c.Name + "/" : c.Name, StringComparer.Ordinal))
            {
                var path = folder.Length == 0 ? child.Name : folder + "/" + child.Name;
                var id = child.IsTree && changedFolders.Contains(path) ? Hash(path)
                    : !child.IsTree && newBlobs.TryGetValue(path, out var blob) ? blob
                    : child.Id;
                body.Write(Encoding.UTF8.GetBytes(child.Mode + " " + child.Name + "\0"));
                body.Write(Convert.FromHexString(id));
            }

            return ObjectId("tree", body.ToArray());
        }
    }

    /// <summary>The SHA-1 id git gives an object of <paramref name="type"/> with <paramref name="content"/>.</summary>
    public static string ObjectId(string type, ReadOnlySpan<byte> content)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha.AppendData(Encoding.ASCII.GetBytes(type + " " + content.Length.ToString(CultureInfo.InvariantCulture) + "\0"));
        sha.AppendData(content);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>An entry of a folder: its name, its mode as a tree object writes it (no leading zero), its id.</summary>
    private sealed record Child(string Name, string Mode, string Id, bool IsTree);
}
