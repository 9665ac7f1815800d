using System.ComponentModel;
using AutoResearch.Core.Workspace;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary><c>autoresearch init [DIR] --template NAME</c>.</summary>
internal sealed class InitCommand(IAnsiConsole console) : AsyncCommand<InitCommand.Settings>
{
    internal sealed class Settings : WorkspaceSettings
    {
        [CommandOption("-t|--template <NAME>")]
        [Description("The template: empty (a toy you replace), karpathy (train.py + prepare.py layout), tinygpt (a tiny GPT in C#). Default: empty.")]
        public string Template { get; init; } = "empty";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        // The workspace names a path that survives `dotnet tool update` (a link for an installed tool), not the versioned store.
        var (files, committed) = await TemplateInstaller.InstallAsync(
            Paths.Templates, settings.Template, settings.Directory, LibraryLink.Ensure(Paths.Library), cancellationToken);
        var target = Path.GetFullPath(settings.Directory);
        console.MarkupLineInterpolated($"[green]created[/] {target} from template [bold]{settings.Template}[/]:");
        foreach (var file in files)
        {
            console.MarkupLineInterpolated($"  {file}");
        }

        console.WriteLine();
        // Printed as this user runs the tool (`dotnet run --project ...` from a checkout), so it works when pasted.
        var run = Invocation.Command($"run {Invocation.Quote(settings.Directory)}");
        console.MarkupLine(committed
            ? $"next: [bold]{Markup.Escape(run)}[/]"
            : $"review the new files, commit them, then [bold]{Markup.Escape(run)}[/]");
        return Entry.Ok;
    }
}
