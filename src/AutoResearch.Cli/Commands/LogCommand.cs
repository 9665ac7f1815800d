using System.ComponentModel;
using AutoResearch.Cli.Rendering;
using AutoResearch.Core;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary><c>autoresearch log [DIR] [--tag TAG]</c>: a run's experiments as a table.</summary>
internal sealed class LogCommand(IAnsiConsole console) : AsyncCommand<LogCommand.Settings>
{
    internal sealed class Settings : WorkspaceSettings
    {
        [CommandOption("--tag <TAG>")]
        [Description("The run to list; default: the latest.")]
        public string? Tag { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var workspace = await GitWorkspace.OpenAsync(settings.Directory, cancellationToken);
        var spec = SpecLoader.Load(workspace.Root);
        using var ledger = OpenLedger(workspace);
        var run = (settings.Tag is null ? ledger.Runs().LastOrDefault() : ledger.GetRun(settings.Tag))
            ?? throw new WorkspaceException(settings.Tag is null
                ? $"no runs yet: `{Invocation.Command("run")}` starts one"
                : $"no run named {settings.Tag} (runs: {string.Join(", ", ledger.Runs().Select(r => r.Tag))})");
        console.MarkupLineInterpolated($"run [bold]{run.Tag}[/] on {run.Branch}");
        var experiments = ledger.Experiments(run.Tag);
        console.Write(Tables.Experiments(spec.Objective.Metric, experiments, spec.Cost.Measure));
        console.MarkupLineInterpolated($"[dim]{spec.Objective.Metric} is the mean over each experiment's runs (seeds); cost is its {CostRatio.Name(spec.Cost.Measure)} per run over its parent's ([[cost]] measure)[/]");
        Tables.PrintWarnings(console, experiments);
        LedgerCheck.Print(console, ledger, [run.Tag], perRun: 20);
        return Entry.Ok;
    }

    /// <summary>Opens the workspace's ledger, with its key when there is one (never creating one), for reading.</summary>
    internal static Ledger OpenLedger(GitWorkspace workspace)
    {
        var path = Path.Combine(workspace.StateDirectory, "ledger.db");
        return File.Exists(path) ? LedgerCheck.Open(path) : throw new WorkspaceException($"no runs yet: `{Invocation.Command("run")}` starts one");
    }
}
