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
        var experiment = ledger.Get(settings.Id) ?? throw new WorkspaceException($"no experiment with id {settings.Id}; `autoresearch log` lists them");
        Tables.PrintExperiment(console, spec.Objective.Metric, experiment);
        return Entry.Ok;
    }
}
