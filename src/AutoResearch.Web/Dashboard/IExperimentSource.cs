using AutoResearch.Core.Records;

namespace AutoResearch.Web.Dashboard;

/// <summary>
/// What the dashboard shows of runs and experiments: a workspace's ledger (<see cref="LedgerSource"/>), or the
/// swarm coordinator's shared experiment log mapped onto the same records. Calls come from request threads at once.
/// </summary>
public interface IExperimentSource
{
    /// <summary>
    /// A number that changes whenever anything this source returns may have changed. Polled every
    /// <see cref="DashboardOptions.PollInterval"/> by each open page's event stream, so it must be cheap.
    /// </summary>
    long Version();

    /// <summary>Every run, oldest first; empty before the first.</summary>
    IReadOnlyList<RunRecord> Runs();

    /// <summary>A run's experiments in order, the baseline first.</summary>
    IReadOnlyList<ExperimentRecord> Experiments(string tag);

    /// <summary>One experiment by id; null when there is none.</summary>
    ExperimentRecord? Experiment(long id);

    /// <summary>The last <paramref name="lines"/> lines of an experiment's log; null when it has none.</summary>
    string? LogTail(ExperimentRecord experiment, int lines);
}
