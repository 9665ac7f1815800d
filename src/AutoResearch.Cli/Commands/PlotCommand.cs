using System.ComponentModel;
using AutoResearch.Core;
using AutoResearch.Core.Workspace;
using AutoResearch.Web.Charts;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary><c>autoresearch plot [DIR] -o progress.png</c>: a run's progress as a PNG chart.</summary>
internal sealed class PlotCommand(IAnsiConsole console) : AsyncCommand<PlotCommand.Settings>
{
    internal sealed class Settings : WorkspaceSettings
    {
        [CommandOption("-o|--output <FILE>")]
        [Description("Where to write the PNG; default: progress.png in the current folder.")]
        public string Output { get; init; } = "progress.png";

        [CommandOption("--tag <TAG>")]
        [Description("The run to draw; default: the latest.")]
        public string? Tag { get; init; }

        [CommandOption("--width <PIXELS>")]
        [Description("Image width in pixels; default 1200.")]
        public int Width { get; init; } = 1200;

        [CommandOption("--height <PIXELS>")]
        [Description("Image height in pixels; default 600.")]
        public int Height { get; init; } = 600;

        public override ValidationResult Validate() =>
            Width is < 200 or > 10000 || Height is < 150 or > 10000
                ? ValidationResult.Error($"--width {Width} --height {Height}: the image must be 200 to 10000 pixels wide and 150 to 10000 high")
                : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var workspace = await GitWorkspace.OpenAsync(settings.Directory, cancellationToken);
        using var ledger = LogCommand.OpenLedger(workspace);
        var run = (settings.Tag is null ? ledger.Runs().LastOrDefault() : ledger.GetRun(settings.Tag))
            ?? throw new WorkspaceException(settings.Tag is null
                ? "no runs yet: `autoresearch run` starts one"
                : $"no run named {settings.Tag} (runs: {string.Join(", ", ledger.Runs().Select(r => r.Tag))})");
        var series = ProgressSeries.FromExperiments(run, ledger.Experiments(run.Tag));
        var output = Path.GetFullPath(settings.Output);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllBytesAsync(output, ProgressChart.Png(series, settings.Width, settings.Height), cancellationToken);
        console.MarkupLineInterpolated($"wrote [bold]{output}[/]: run {run.Tag}, {series.Points.Count} experiments, {series.Points.Count(p => p.Mark == ProgressMark.Kept)} kept");
        return Entry.Ok;
    }
}
