using System.Security.Cryptography;
using System.Text;

namespace AutoResearch.Cli;

/// <summary>
/// A version-free path to the trusted libraries of an installed tool. <c>dotnet tool install</c> puts the tool in
/// <c>&lt;tools&gt;/.store/autoresearch/&lt;version&gt;/...</c>, and <c>dotnet tool update</c> deletes that folder, so a
/// workspace must not name it. Instead it names a link, <c>$XDG_DATA_HOME/autoresearch/lib-&lt;hash of tools&gt;</c>
/// (<c>~/.local/share</c> by default), that <c>init</c> makes and every later start of the tool points at its own folder:
/// after an update, the first
/// command (even <c>autoresearch --version</c>) moves it, and <c>autoresearch run</c> passes its own folder anyway.
/// </summary>
internal static class LibraryLink
{
    /// <summary>
    /// The path a workspace should name for <paramref name="library"/>: for a tool in a tool store, the link (made or moved
    /// to <paramref name="library"/> now); otherwise <paramref name="library"/> itself, which does not move (a source build).
    /// </summary>
    /// <param name="library">The tool's folder (<see cref="Paths.Library"/>).</param>
    /// <param name="dataHome">Where links live; default <c>$XDG_DATA_HOME</c>, else <c>~/.local/share</c>.</param>
    /// <param name="create">Make the link when there is none (<c>init</c>); false only moves an existing one (every start).</param>
    public static string Ensure(string library, string? dataHome = null, bool create = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(library);
        var separator = Path.DirectorySeparatorChar;
        library = Path.GetFullPath(library).TrimEnd(separator);
        var store = library.IndexOf($"{separator}.store{separator}", StringComparison.Ordinal);
        if (store < 0 || OperatingSystem.IsWindows())
        {
            return library;
        }

        dataHome ??= Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
        var tools = library[..store];
        var link = Path.Combine(dataHome, "autoresearch", "lib-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tools)))[..12]);
        var info = new FileInfo(link);
        if (info.LinkTarget == library || (!create && info.LinkTarget is null))
        {
            return link;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        // A link to another version (the one before an update), or a dangling one: replace it. (File.Delete removes the link,
        // never what it points to.)
        if (info.LinkTarget is not null)
        {
            File.Delete(link);
        }

        try
        {
            File.CreateSymbolicLink(link, library);
        }
        catch (IOException) when (new FileInfo(link).LinkTarget == library)
        {
            // Another start of the same tool made the same link in between.
        }
        catch (IOException)
        {
            // Something that is not a link stands at the link's path: the workspace names the library itself (it works
            // until the tool is updated) rather than failing.
            return library;
        }

        return link;
    }

    /// <summary><see cref="Ensure"/> at a tool's start; a failure (a read-only home) only means the link is not refreshed.</summary>
    public static void Refresh()
    {
        try
        {
            Ensure(Paths.Library, create: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The workspace still works through AUTORESEARCH_LIB under `autoresearch run`; only a hand-run build needs the link.
        }
    }
}
