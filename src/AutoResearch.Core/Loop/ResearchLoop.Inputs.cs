using System.Globalization;

namespace AutoResearch.Core.Loop;

/// <summary>What the runs get beside the commit: the workspace's uncommitted files, recognised before the research begins.</summary>
public sealed partial class ResearchLoop
{
    /// <summary>Folders of tools and environments that no run reads as data; never reported as uncommitted data.</summary>
    private static readonly HashSet<string> s_environmentFolders =
        [".venv", "venv", ".env", "env", "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints", ".idea", ".vscode", "bin", "obj"];

    /// <summary>The hint about uncommitted files given at start, repeated when the baseline fails (it may be why).</summary>
    private string? _uncommittedHint;

    /// <summary>
    /// Tells the user, before a new run's baseline, which files of their checkout are neither committed nor run products:
    /// every run works in a clean checkout of the commit and will not see them, so data a run reads (a <c>data/train.bin</c>
    /// prepared by hand) must be committed or produced by <c>[run] setup</c>.
    /// </summary>
    private async Task ReportUncommittedAsync(CancellationToken cancellationToken)
    {
        var (untracked, ignored) = await _workspace.UncommittedFilesAsync(cancellationToken).ConfigureAwait(false);
        var data = untracked.Concat(ignored).Where(p => !IsEnvironment(p) && !_spec.Run.IsOutput(p.TrimEnd('/'))).ToList();
        if (data.Count == 0)
        {
            return;
        }

        var shown = string.Join(", ", data.Take(8).Select(p => $"{p} ({Size(Path.Combine(_workspace.Root, p))})")) +
            (data.Count > 8 ? $" and {data.Count - 8} more" : "");
        var example = data.FirstOrDefault(p => !p.EndsWith('/')) ?? data[0];
        _uncommittedHint =
            $"not committed, so the runs will not see them (each run works in a clean checkout of your commit): {shown}. " +
            $"If a run reads them, commit them (`git add -f {example} && git commit`), or make [run] setup produce them " +
            "(what setup writes and git ignores is kept for every run); if runs write them, name them in [run] outputs " +
            "(e.g. outputs = [\"out*/**\"]); if neither, ignore this";
        _observer.OnMessage("workspace files " + _uncommittedHint);
    }

    private static bool IsEnvironment(string path)
    {
        var parts = path.TrimEnd('/').Split('/');
        return parts.Any(p => s_environmentFolders.Contains(p) || p.EndsWith(".egg-info", StringComparison.Ordinal)) || parts[^1] == ".DS_Store";
    }

    /// <summary>A file's or folder's size on disk, for the user ("1.2 MB", "3 files, 40 kB").</summary>
    private static string Size(string path)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }).Take(100_000).ToList();
            return $"{files.Count} file(s), {Bytes(files.Sum(f => new FileInfo(f).Length))}";
        }

        return File.Exists(path) ? Bytes(new FileInfo(path).Length) : "?";
    }

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} kB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):0.#} MB"),
    };
}
