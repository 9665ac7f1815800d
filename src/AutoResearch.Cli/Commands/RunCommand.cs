using System.ComponentModel;
using AutoResearch.Cli.Rendering;
using AutoResearch.Core;
using AutoResearch.Core.Loop;
using AutoResearch.Core.Notifications;
using AutoResearch.Core.Proposers;
using AutoResearch.Core.Proposers.Search;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary><c>autoresearch run [DIR]</c>: the research loop.</summary>
internal sealed class RunCommand(IAnsiConsole console) : AsyncCommand<RunCommand.Settings>
{
    internal sealed class Settings : WorkspaceSettings
    {
        [CommandOption("--agent <KIND>")]
        [Description("The proposer: search (built in, the default), llm (an API model with tools) or cli (an external coding agent). Overrides [[agent]] kind.")]
        public string? Agent { get; init; }

        [CommandOption("--agent-command <TEMPLATE>")]
        [Description("For --agent cli: the command; {prompt} becomes the prompt file's path. Overrides [[agent]] command.")]
        public string? AgentCommand { get; init; }

        [CommandOption("--provider <PROVIDER>")]
        [Description("For --agent llm: openai (any OpenAI-compatible endpoint: OpenAI, vLLM, llama.cpp, Ollama) or anthropic. Overrides [[agent]] provider.")]
        public string? Provider { get; init; }

        [CommandOption("--model <MODEL>")]
        [Description("For --agent llm: the model's name as the endpoint knows it. Overrides [[agent]] model.")]
        public string? Model { get; init; }

        [CommandOption("--base-url <URL>")]
        [Description("For --agent llm: the endpoint, e.g. http://localhost:11434/v1 for Ollama. Overrides [[agent]] base_url.")]
        public string? BaseUrl { get; init; }

        [CommandOption("--max-experiments <N>")]
        [Description("Stop once the run has N proposals (the baseline not counted).")]
        public int? MaxExperiments { get; init; }

        [CommandOption("--hours <H>")]
        [Description("Stop starting experiments after H hours.")]
        public double? Hours { get; init; }

        [CommandOption("--tag <TAG>")]
        [Description("The run's name (branch autoresearch/TAG); an existing tag is resumed. Default: the latest unfinished run, else today's date.")]
        public string? Tag { get; init; }

        [CommandOption("--parallel <N>")]
        [Description("Run N experiments at once, each in its own worktree against the current best (one GPU each with [[run]] gpus, else a share of the cores). Default 1.")]
        public int? Parallel { get; init; }

        [CommandOption("--plain")]
        [Description("Plain lines instead of the live view, even in a terminal (with a progress line every 30 s while an experiment runs).")]
        public bool Plain { get; init; }

        [CommandOption("--no-plot")]
        [Description("Do not rewrite progress.png in the workspace after each experiment. Overrides [[report]] progress_png.")]
        public bool NoPlot { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var workspace = await GitWorkspace.OpenAsync(settings.Directory, cancellationToken);
        var spec = SpecLoader.Load(workspace.Root);
        var proposer = ProposerFactory.Create(spec, settings.Agent, settings.AgentCommand, (settings.Provider, settings.Model, settings.BaseUrl));
        using var owned = proposer as IDisposable;
        if (proposer is SearchProposer)
        {
            // Before the baseline: a search with nothing to search would only fail after a full baseline run.
            (await SearchKnobs.ReadAsync(spec, workspace.Root, cancellationToken)).EnsureSearchable(spec);
        }

        var options = new LoopOptions
        {
            Tag = settings.Tag,
            MaxExperiments = settings.MaxExperiments,
            Duration = settings.Hours is { } h ? TimeSpan.FromHours(h) : null,
            Parallel = settings.Parallel ?? 1,
        };
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new SpecException("command line", problems);
        }

        var runner = new ExperimentRunner(spec, new Dictionary<string, string?> { ["AUTORESEARCH_LIB"] = Paths.Library });
        // The key lives outside the workspace, so the agent and experiments cannot re-seal rows they rewrite.
        var ledgerPath = Path.Combine(workspace.StateDirectory, "ledger.db");
        using var ledger = Ledger.Open(ledgerPath, LedgerKey.LoadOrCreate(ledgerPath));
        var live = !settings.Plain && console.Profile.Capabilities.Interactive && !Console.IsOutputRedirected;
        console.MarkupLineInterpolated($"[bold]autoresearch[/] {workspace.Root}: {spec.Objective.Metric} ({spec.Objective.Direction.ToString().ToLowerInvariant()}), proposer [bold]{proposer.Name}[/], spec {spec.Source}");

        IResearchObserver view = live ? new LiveView(spec) : new PlainObserver(console, spec);
        using var plain = view as PlainObserver;
        var notices = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using var notifier = spec.Notify.Webhook is null
            ? null
            : new WebhookNotifier(spec.Notify, spec.Objective.Metric, message =>
            {
                notices.Enqueue(message);
                view.OnMessage(message);
            });
        var observer = notifier is null ? view : new ObserverGroup(view, notifier);
        if (spec.Report.ProgressPng && !settings.NoPlot)
        {
            observer = new ObserverGroup(observer, await ProgressPlotFile.CreateAsync(workspace, ledger, spec.Cost.Measure, view.OnMessage, cancellationToken));
        }

        var loop = new ResearchLoop(spec, workspace, ledger, proposer, runner, observer);
        RunSummary summary;
        try
        {
            summary = view is LiveView liveView
                ? await liveView.ShowAsync(console, () => loop.RunAsync(options, cancellationToken), cancellationToken)
                : await loop.RunAsync(options, cancellationToken);
        }
        catch (AutoResearchException e)
        {
            // Tell the webhook, then let Entry report the failure as usual.
            notifier?.RunFailed(e.Message);
            throw;
        }

        if (notifier is not null)
        {
            // Send the end-of-run notification now, so a failure to deliver it is shown before the summary.
            await notifier.DisposeAsync();
            if (live)
            {
                foreach (var notice in notices)
                {
                    console.MarkupLineInterpolated($"[yellow]{notice}[/]");
                }
            }
        }

        Tables.PrintSummary(console, spec, summary);
        return Entry.Ok;
    }
}
