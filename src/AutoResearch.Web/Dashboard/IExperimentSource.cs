using AutoResearch.Core.Records;

namespace AutoResearch.Web.Dashboard;

/// <summary>
/// What the dashboard shows of runs and experiments: a workspace's ledger (<see cref="LedgerSource"/>), or any store
/// that can present its experiments as the ledger's records. Calls come from request threads at once.
/// </summary>
public interface IExperimentSource
{
    /// <summary>
    /// A number that changes whenever anything this source returns may have changed. Polled every
    /// <see cref="DashboardOptions.PollInterval"/> by each open page's event stream, so it must be cheap.
    /// </summary>
    ValueTask<long> VersionAsync(CancellationToken cancellationToken = default);

    /// <summary>Every run, oldest first; empty before the first.</summary>
    Task<IReadOnlyList<RunRecord>> RunsAsync(CancellationToken cancellationToken = default);

    /// <summary>A run's experiments in order, the baseline first.</summary>
    Task<IReadOnlyList<ExperimentRecord>> ExperimentsAsync(string tag, CancellationToken cancellationToken = default);

    /// <summary>One experiment by id; null when there is none.</summary>
    Task<ExperimentRecord?> ExperimentAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>The last <paramref name="lines"/> lines of an experiment's log; null when it has none.</summary>
    Task<string?> LogTailAsync(ExperimentRecord experiment, int lines, CancellationToken cancellationToken = default);
}
