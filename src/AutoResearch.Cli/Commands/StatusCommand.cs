using AutoResearch.Cli.Rendering;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary><c>autoresearch status [DIR]</c>: the spec and every run.</summary>
internal sealed class StatusCommand(IAnsiConsole console) : AsyncCommand<WorkspaceSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, WorkspaceSettings settings, CancellationToken cancellationToken)
    {
        var workspace = await GitWorkspace.OpenAsync(settings.Directory, cancellationToken);
        var spec = SpecLoader.Load(workspace.Root);
        var metric = spec.Objective.Metric;
        console.MarkupLineInterpolated($"[bold]workspace[/] {workspace.Root}");
        console.MarkupLineInterpolated($"[bold]spec[/]      {spec.Source}");
        console.MarkupLineInterpolated($"[bold]objective[/] {metric}, {spec.Objective.Direction.ToString().ToLowerInvariant()}");
        console.MarkupLineInterpolated($"[bold]command[/]   {spec.Run.Command} (timeout {spec.Run.Timeout.TotalSeconds:0}s)");
        console.MarkupLineInterpolated($"[bold]editable[/]  {string.Join(", ", spec.Scope.Globs)}");

        var ledgerPath = Path.Combine(workspace.StateDirectory, "ledger.db");
        if (!File.Exists(ledgerPath))
        {
            console.MarkupLine("no runs yet: [bold]autoresearch run[/] starts one");
            return Entry.Ok;
        }

        using var ledger = Ledger.Open(ledgerPath);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("run", "branch", "state", "proposals", "kept", "baseline", "best", "gain");
        foreach (var run in ledger.Runs())
        {
            var experiments = ledger.Experiments(run.Tag);
            var baseline = experiments.FirstOrDefault(e => e.IsBaseline && e.Status == ExperimentStatus.Keep);
            var best = experiments.LastOrDefault(e => e.Status == ExperimentStatus.Keep);
            var gain = baseline?.Metric is { } b && best?.Metric is { } m ? spec.Objective.Improvement(m, b) : (double?)null;
            table.AddRow(
                run.Tag,
                run.Branch,
                run.FinishedAt is null ? "[yellow]open[/]" : "finished",
                experiments.Count(e => !e.IsBaseline).ToString(System.Globalization.CultureInfo.InvariantCulture),
                experiments.Count(e => !e.IsBaseline && e.Status == ExperimentStatus.Keep).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Format.Metric(baseline?.Metric),
                Format.Metric(best?.Metric),
                Format.Metric(gain));
        }

        console.Write(table);
        return Entry.Ok;
    }
}
