using System.ComponentModel;
using AutoResearch.Cli.Rendering;
using AutoResearch.Core;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary><c>autoresearch show ID [DIR]</c>: one experiment's metrics, diff and log tail.</summary>
internal sealed class ShowCommand(IAnsiConsole console) : AsyncCommand<ShowCommand.Settings>
{
    internal sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<ID>")]
        [Description("The experiment's id (the id column of `autoresearch log`).")]
        public long Id { get; init; }

        [CommandArgument(1, "[DIR]")]
        [Description("The workspace; default: the current folder.")]
        public string Directory { get; init; } = ".";

        [CommandOption("--verbose")]
        [Description("Print full error details.")]
        public bool Verbose { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var workspace = await GitWorkspace.OpenAsync(settings.Directory, cancellationToken);
        var spec = SpecLoader.Load(workspace.Root);
        using var ledger = LogCommand.OpenLedger(workspace);
        var experiment = ledger.Get(settings.Id) ?? throw new WorkspaceException(NoSuchExperiment(ledger, settings.Id));
        Tables.PrintExperiment(console, spec.Objective.Metric, experiment, ledger.Experiments(experiment.Tag), spec.Cost.Measure);
        return Entry.Ok;
    }

    /// <summary>Why there is nothing to show, with the ids there are (ids count every experiment of every run, the baseline included).</summary>
    private static string NoSuchExperiment(Core.Records.Ledger ledger, long id)
    {
        var runs = ledger.Runs();
        var latest = runs.Count > 0 ? ledger.Experiments(runs[^1].Tag) : [];
        return latest.Count == 0
            ? $"no experiment with id {id}: the ledger has no experiments yet; `{Invocation.Command("run")}` starts a run"
            : $"no experiment with id {id}; the latest run ({runs[^1].Tag}) has ids {latest.Min(e => e.Id)} to {latest.Max(e => e.Id)} " +
              $"(#0, its baseline, is id {latest[0].Id}); `{Invocation.Command("log")}` lists them";
    }
}
