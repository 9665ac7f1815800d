using System.ComponentModel;
using System.Net.Http.Json;
using AutoResearch.Core;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;
using AutoResearch.Swarm.Coordinator;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Web.Charts;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary>
/// <c>autoresearch plot [DIR] -o progress.png</c>: a run's progress as a PNG chart; with <c>--coordinator URL</c>, the swarm's
/// verified chain instead (read from <c>/v1/chain</c>).
/// </summary>
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

        [CommandOption("--coordinator <URL>")]
        [Description("Draw a swarm's verified chain instead, read from this coordinator (e.g. http://host:8787); DIR is then unused.")]
        public string? Coordinator { get; init; }

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
        if (settings.Coordinator is { } coordinator)
        {
            return await PlotChainAsync(coordinator, settings, cancellationToken);
        }

        var workspace = await GitWorkspace.OpenAsync(settings.Directory, cancellationToken);
        using var ledger = LogCommand.OpenLedger(workspace);
        var run = (settings.Tag is null ? ledger.Runs().LastOrDefault() : ledger.GetRun(settings.Tag))
            ?? throw new WorkspaceException(settings.Tag is null
                ? $"no runs yet: `{Invocation.Command("run")}` starts one"
                : $"no run named {settings.Tag} (runs: {string.Join(", ", ledger.Runs().Select(r => r.Tag))})");
        var experiments = ledger.Experiments(run.Tag);
        var series = ProgressSeries.FromExperiments(run, experiments, SpecLoader.Load(workspace.Root).Cost.Measure);
        var output = Path.GetFullPath(settings.Output);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllBytesAsync(output, ProgressChart.Png(series, settings.Width, settings.Height), cancellationToken);
        // Counted as `log` and `status` count: proposals after the baseline, and those kept.
        var done = experiments.Where(e => e.Phase == ExperimentPhase.Done && !e.IsBaseline).ToList();
        console.MarkupLineInterpolated($"wrote [bold]{output}[/]: run {run.Tag}, {done.Count} proposals after the baseline, {done.Count(e => e.Status == ExperimentStatus.Keep)} kept");
        return Entry.Ok;
    }

    /// <summary>The chain from the coordinator's public JSON (no key needed), its base first, drawn as <see cref="ProgressSeries.FromChain"/>.</summary>
    private async Task<int> PlotChainAsync(string coordinator, Settings settings, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(coordinator.TrimEnd('/') + "/", UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            throw new SpecException("command line", [$"--coordinator '{coordinator}' is not an http(s) address; e.g. --coordinator http://host:8787"]);
        }

        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        ProjectInfo project;
        HeadReply head;
        var links = new List<ChainLink>();
        try
        {
            project = await GetAsync<ProjectInfo>(http, "project", cancellationToken);
            head = await GetAsync<HeadReply>(http, "head", cancellationToken);
            while (await GetAsync<List<ChainLink>>(http, $"chain?after={(links.Count > 0 ? links[^1].Sequence : 0)}&limit=500", cancellationToken) is { Count: > 0 } page)
            {
                links.AddRange(page);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            throw new ResearchException($"cannot read the chain from {address}: {e.Message}; is a coordinator running there (autoresearch coordinator)?");
        }

        var direction = Enum.Parse<Direction>(project.Direction, ignoreCase: true);
        var entries = SwarmDashboardSource.Entries(direction, project.BaseCommit, links, head.Metric);
        if (entries.Count == 0)
        {
            throw new ResearchException($"the swarm at {address} has nothing to draw yet: no accepted change and no measured base");
        }

        var series = ProgressSeries.FromChain(project.Metric, direction, entries);
        var output = Path.GetFullPath(settings.Output);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllBytesAsync(output, ProgressChart.Png(series, settings.Width, settings.Height), cancellationToken);
        console.MarkupLineInterpolated($"wrote [bold]{output}[/]: swarm {project.Name}, chain of {links.Count} accepted change(s)");
        return Entry.Ok;
    }

    private static async Task<T> GetAsync<T>(HttpClient http, string path, CancellationToken cancellationToken) =>
        await http.GetFromJsonAsync<T>(ProtocolVersion.Prefix.TrimStart('/') + "/" + path, SwarmJson.Options, cancellationToken)
        ?? throw new ResearchException($"the coordinator at {http.BaseAddress} answered {path} with nothing");
}
