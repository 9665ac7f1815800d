using AutoResearch.Core.Loop;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using Spectre.Console;

namespace AutoResearch.Cli.Rendering;

/// <summary>One line per event, for logs and pipes.</summary>
internal sealed class PlainObserver(IAnsiConsole console, ResearchSpec spec) : IResearchObserver
{
    public void OnRunStarted(RunRecord run, bool resumed, string worktree) =>
        console.MarkupLineInterpolated($"{(resumed ? "resuming" : "starting")} run [bold]{run.Tag}[/] on branch {run.Branch} (worktree {worktree})");

    public void OnMessage(string message) => console.MarkupLineInterpolated($"[dim]{message}[/]");

    public void OnExperimentStarted(ExperimentRecord experiment) =>
        console.MarkupLineInterpolated($"[[{experiment.Seq}]] {(experiment.IsBaseline ? "baseline" : "proposing")}...");

    public void OnRunning(ExperimentRecord experiment, TimeSpan timeout) =>
        console.MarkupLineInterpolated($"[[{experiment.Seq}]] running (limit {timeout.TotalSeconds:0}s): {experiment.Description ?? ""}");

    public void OnExperimentFinished(ExperimentRecord experiment, ExperimentRecord best)
    {
        var metric = spec.Objective.Metric;
        var color = Format.Color(experiment);
        var status = Format.Status(experiment);
        var tail = (experiment.Error is null ? "" : $" ({experiment.Error})") + (experiment.Decision is null ? "" : $" [{experiment.Decision}]");
        console.MarkupLineInterpolated(
            $"[[{experiment.Seq}]] [{color}]{status}[/] {metric}={Format.Metric(experiment.Metric)} best={Format.Metric(best.Metric)} {Format.Seconds(experiment.RunSeconds)} {experiment.Description ?? ""}{tail}");
    }
}
