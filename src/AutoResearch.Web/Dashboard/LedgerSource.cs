using System.Text;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;

namespace AutoResearch.Web.Dashboard;

/// <summary>
/// A workspace's ledger (<c>.autoresearch/ledger.db</c>) as the dashboard's source, read while a run writes it (WAL).
/// The file may not exist yet: it is opened once it appears. <see cref="Version"/> is SQLite's <c>data_version</c>.
/// </summary>
public sealed class LedgerSource : IExperimentSource, IDisposable
{
    /// <summary>At most this much of the end of a log is read for its tail.</summary>
    private const int TailBytes = 64 * 1024;

    private readonly string _path;
    private readonly Lock _gate = new();
    private Ledger? _ledger;

    /// <param name="ledgerPath">The ledger file; it need not exist yet.</param>
    public LedgerSource(string ledgerPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(ledgerPath);
        _path = Path.GetFullPath(ledgerPath);
    }

    public ValueTask<long> VersionAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Open() is { } ledger ? ledger.DataVersion() : -1);

    public Task<IReadOnlyList<RunRecord>> RunsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Open()?.Runs() ?? []);

    public Task<IReadOnlyList<ExperimentRecord>> ExperimentsAsync(string tag, CancellationToken cancellationToken = default) =>
        Task.FromResult(Open()?.Experiments(tag) ?? []);

    public Task<ExperimentRecord?> ExperimentAsync(long id, CancellationToken cancellationToken = default) =>
        Task.FromResult(Open()?.Get(id));

    public Task<string?> LogTailAsync(ExperimentRecord experiment, int lines, CancellationToken cancellationToken = default) =>
        Task.FromResult(LogTail(experiment, lines));

    private static string? LogTail(ExperimentRecord experiment, int lines)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        if (experiment.LogPath is not { } path || !File.Exists(path))
        {
            return null;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var start = Math.Max(0, stream.Length - TailBytes);
        stream.Seek(start, SeekOrigin.Begin);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var text = reader.ReadToEnd();
        if (start > 0 && text.IndexOf('\n', StringComparison.Ordinal) is var cut and >= 0)
        {
            // Drop the partial first line (and any split UTF-8 sequence with it).
            text = text[(cut + 1)..];
        }

        return ExperimentRunner.Tail(text, lines);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _ledger?.Dispose();
            _ledger = null;
        }
    }

    private Ledger? Open()
    {
        lock (_gate)
        {
            if (_ledger is null && File.Exists(_path))
            {
                _ledger = Ledger.Open(_path);
            }

            return _ledger;
        }
    }
}
