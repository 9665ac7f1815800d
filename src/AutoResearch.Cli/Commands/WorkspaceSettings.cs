using System.ComponentModel;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary>Settings shared by commands that act on a workspace.</summary>
internal class WorkspaceSettings : CommandSettings
{
    [CommandArgument(0, "[DIR]")]
    [Description("The workspace (a git repository's root); default: the current folder.")]
    public string Directory { get; init; } = ".";

    [CommandOption("--verbose")]
    [Description("Print full error details.")]
    public bool Verbose { get; init; }
}
