using System.Text;

namespace AutoResearch.Core.Workspace;

/// <summary>
/// Lays a workspace template (a folder of files) into a directory. In an empty or new directory it also makes
/// the git repository and its first commit, so <c>autoresearch run</c> works at once; in an existing repository
/// it adds the files that are missing and leaves committing to the user.
/// </summary>
public static class TemplateInstaller
{
    /// <summary>Replaced in every text file by the folder that holds the trusted libraries (the tool's own).</summary>
    public const string LibraryToken = "{{AUTORESEARCH_LIB}}";

    /// <summary>The templates found under <paramref name="templatesRoot"/>.</summary>
    public static IReadOnlyList<string> Available(string templatesRoot) =>
        Directory.Exists(templatesRoot)
            ? Directory.GetDirectories(templatesRoot).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Installs template <paramref name="name"/> into <paramref name="target"/>; returns the files written.</summary>
    /// <param name="templatesRoot">The folder holding one folder per template.</param>
    /// <param name="libraryDirectory">The value for <see cref="LibraryToken"/>.</param>
    /// <returns>The written files (relative paths) and whether a repository and commit were made.</returns>
    /// <exception cref="WorkspaceException">Unknown template, or a file would be overwritten.</exception>
    public static async Task<(IReadOnlyList<string> Files, bool Committed)> InstallAsync(
        string templatesRoot,
        string name,
        string target,
        string libraryDirectory,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(target);
        var source = Path.Combine(templatesRoot, name);
        if (!Directory.Exists(source))
        {
            throw new WorkspaceException(
                $"no template named \"{name}\" (available: {string.Join(", ", Available(templatesRoot))})");
        }

        target = Path.GetFullPath(target);
        var fresh = !Directory.Exists(target) || !Directory.EnumerateFileSystemEntries(target).Any();
        var isRepository = Directory.Exists(Path.Combine(target, ".git"));
        if (!fresh && !isRepository)
        {
            throw new WorkspaceException($"{target} is not empty and not a git repository; init into a new folder, or into a repository to add a spec to it");
        }

        var files = Directory.GetFiles(source, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(source, f).Replace('\\', '/'))
            .Where(f => !f.Split('/').Any(part => part is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .ToList();
        var clashes = files.Where(f => File.Exists(Path.Combine(target, f))).ToList();
        if (clashes.Count > 0)
        {
            throw new WorkspaceException($"{target} already has {string.Join(", ", clashes)}; init never overwrites files");
        }

        foreach (var file in files)
        {
            var destination = Path.Combine(target, file);
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            var bytes = await File.ReadAllBytesAsync(Path.Combine(source, file), cancellationToken).ConfigureAwait(false);
            if (!bytes.Contains((byte)0))
            {
                var text = Encoding.UTF8.GetString(bytes).Replace(LibraryToken, libraryDirectory, StringComparison.Ordinal);
                bytes = new UTF8Encoding(false).GetBytes(text);
            }

            await File.WriteAllBytesAsync(destination, bytes, cancellationToken).ConfigureAwait(false);
            if (file.EndsWith(".sh", StringComparison.Ordinal) && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(destination, File.GetUnixFileMode(destination) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
        }

        if (!fresh)
        {
            return (files, false);
        }

        await Git.RunAsync(target, ["init", "-q"], cancellationToken).ConfigureAwait(false);
        await Git.RunAsync(target, ["add", "-A"], cancellationToken).ConfigureAwait(false);
        await Git.RunAsync(target, ["commit", "-q", "--no-verify", "-m", $"autoresearch init --template {name}"], cancellationToken).ConfigureAwait(false);
        return (files, true);
    }
}
