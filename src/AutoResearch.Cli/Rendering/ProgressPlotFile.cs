using AutoResearch.Core.Loop;
using AutoResearch.Core.Records;
using AutoResearch.Core.Workspace;
using AutoResearch.Web.Charts;

namespace AutoResearch.Cli.Rendering;

/// <summary>
/// Rewrites <c>progress.png</c> after each experiment, as karpathy's notebook does: in the workspace root, which git
/// ignores (<c>.git/info/exclude</c>) and which is not the worktree the proposer edits, so it never enters a proposal. When
/// the repository tracks a <c>progress.png</c> of its own, the chart goes to <c>.autoresearch/progress.png</c> instead, so
/// the user's checkout stays clean.
/// </summary>
internal sealed class ProgressPlotFile(Ledger ledger, string path, CostMeasure measure, Action<string> notice) : IResearchObserver
{
    /// <summary>The chart's file name.</summary>
    public const string FileName = "progress.png";

    private string? _tag;
    private bool _failed;

    /// <summary>Where the chart is written.</summary>
    public string Path { get; } = path;

    /// <summary>The observer for <paramref name="workspace"/>: <c>progress.png</c> in its root, unless git tracks one there.</summary>
    public static async Task<ProgressPlotFile> CreateAsync(GitWorkspace workspace, Ledger ledger, CostMeasure measure, Action<string> notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        var tracked = await workspace.IsTrackedAsync(FileName, cancellationToken);
        var path = tracked ? System.IO.Path.Combine(workspace.StateDirectory, FileName) : System.IO.Path.Combine(workspace.Root, FileName);
        if (tracked)
        {
            notice($"the repository tracks its own {FileName}: the run's chart goes to {path}");
        }

        return new ProgressPlotFile(ledger, path, measure, notice);
    }

    public void OnRunStarted(RunRecord run, bool resumed, string worktree) => _tag = run.Tag;

    public void OnExperimentFinished(ExperimentRecord experiment, ExperimentRecord best)
    {
        var tag = _tag ?? experiment.Tag;
        if (ledger.GetRun(tag) is not { } run)
        {
            return;
        }

        try
        {
            var png = ProgressChart.Png(ProgressSeries.FromExperiments(run, ledger.Experiments(tag), measure));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            // Renamed over the old one, so a viewer never reads half a file.
            var temporary = Path + ".tmp";
            File.WriteAllBytes(temporary, png);
            File.Move(temporary, Path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A chart that cannot be written never stops the research; say so once.
            if (!_failed)
            {
                _failed = true;
                notice($"cannot write {Path}: {e.Message} (the run goes on; `{Invocation.Command("plot")}` draws it later)");
            }
        }
    }
}
