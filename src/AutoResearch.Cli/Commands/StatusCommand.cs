using AutoResearch.Cli.Rendering;
using AutoResearch.Core.Proposers.Search;
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
        var acceptance = spec.Acceptance;
        var cost = spec.Cost;
        console.MarkupLineInterpolated(
            $"[bold]cost[/]      {CostRatio.Name(cost.Measure)} per run against the parent's; max ratio {(acceptance.MaxCostRatio is { } limit ? limit.ToString(System.Globalization.CultureInfo.InvariantCulture) : "off")}; warn beyond {cost.DriftFactor}x the baseline's load or tokens/s; search weight {cost.SearchWeight}");
        console.MarkupLineInterpolated(
            $"[bold]keep rule[/] beat the best by max(min_delta {acceptance.MinDelta}, z {acceptance.Z} × σ); baseline runs {acceptance.BaselineRepeats}; confirm {(acceptance.Confirm ? "on" : "off")}; simplicity {(acceptance.Simplicity ? "on" : "off")}{(acceptance.Sigma is { } fixedSigma ? $"; σ fixed at {fixedSigma}" : "")}");
        var early = spec.EarlyStop;
        console.MarkupLineInterpolated(
            $"[bold]early stop[/] {(early.Enabled ? $"on from {early.MinFraction:P0} of the budget, behind by max(min_delta {early.MinDelta}, z {early.Z} × σ) on {early.MinPoints} lines in a row" : "off ([early_stop] enabled = true)")}");
        if (spec.Agent.Kind is null or "search")
        {
            await PrintKnobsAsync(spec, workspace.Root, cancellationToken);
        }

        var ledgerPath = Path.Combine(workspace.StateDirectory, "ledger.db");
        if (!File.Exists(ledgerPath))
        {
            console.MarkupLineInterpolated($"no runs yet: [bold]{Invocation.Command("run")}[/] starts one");
            return Entry.Ok;
        }

        using var ledger = LedgerCheck.Open(ledgerPath);
        var table = new Table().Border(TableBorder.Rounded).AddColumns("run", "branch", "state", "proposals", "kept", "stopped", "baseline (mean)", "best (mean)", "gain", "noise σ", "threshold");
        foreach (var run in ledger.Runs())
        {
            var experiments = ledger.Experiments(run.Tag);
            var baseline = experiments.FirstOrDefault(e => e.IsBaseline && e.Status == ExperimentStatus.Keep);
            var best = experiments.Where(e => e.Status == ExperimentStatus.Keep).OrderBy(e => e.FinishedAt).ThenBy(e => e.Id).LastOrDefault();
            // The noise the latest decision used (the baseline's, before any proposal was decided).
            var latest = experiments.Where(e => e.Phase == ExperimentPhase.Done && e.Threshold is not null).OrderBy(e => e.FinishedAt).LastOrDefault();
            var gain = baseline?.Metric is { } b && best?.Metric is { } m ? spec.Objective.Improvement(m, b) : (double?)null;
            table.AddRow(
                run.Tag,
                run.Branch,
                run.FinishedAt is null ? "[yellow]open[/]" : "finished",
                experiments.Count(e => !e.IsBaseline).ToString(System.Globalization.CultureInfo.InvariantCulture),
                experiments.Count(e => !e.IsBaseline && e.Status == ExperimentStatus.Keep).ToString(System.Globalization.CultureInfo.InvariantCulture),
                experiments.Count(e => e.Status == ExperimentStatus.Stopped).ToString(System.Globalization.CultureInfo.InvariantCulture),
                Format.Metric(baseline?.Metric),
                Format.Metric(best?.Metric),
                Format.Metric(gain),
                latest?.Sigma is { } sigma && sigma > 0 ? Format.Metric(sigma) : "unknown",
                Format.Metric(latest?.Threshold));
        }

        console.Write(table);
        LedgerCheck.Print(console, ledger, ledger.Runs().Select(r => r.Tag).ToList(), perRun: 1);
        return Entry.Ok;
    }

    /// <summary>The knobs the search proposer finds in the editable files: where, the value, the space it searches.</summary>
    private async Task PrintKnobsAsync(ResearchSpec spec, string root, CancellationToken cancellationToken)
    {
        var knobs = await SearchKnobs.ReadAsync(spec, root, cancellationToken);
        var searched = knobs.Tunable.ToDictionary(k => (k.File, k.Name), k => k.Space);
        console.MarkupLineInterpolated($"[bold]knobs[/]     {knobs.Tunable.Count} searched of {knobs.Found.Count} found in {(knobs.Files.Count == 0 ? "no editable file it reads" : string.Join(", ", knobs.Files))}");
        if (knobs.Found.Count > 0)
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumns("knob", "where", "convention", "value", "searched as");
            foreach (var knob in knobs.Found)
            {
                var space = searched.GetValueOrDefault((knob.File, knob.Name));
                var described = space?.Describe() ?? (knob.Space.Frozen ? knob.Space.Describe() : "not searched: frozen or excluded in [search]");
                table.AddRow(
                    Markup.Escape(knob.Name),
                    Markup.Escape($"{knob.File}:{knob.Line}"),
                    Markup.Escape(knob.Convention),
                    Markup.Escape(knob.Literal),
                    space is null ? $"[grey]{Markup.Escape(described)}[/]" : Markup.Escape(described));
            }

            console.Write(table);
        }

        var shadowed = knobs.Tunable.GroupBy(k => k.Name).Where(g => g.Select(k => k.File).Distinct().Count() > 1).ToList();
        if (shadowed.Count > 0)
        {
            console.MarkupLineInterpolated(
                $"[yellow]note:[/] {string.Join(", ", shadowed.Select(g => $"{g.Key} ({string.Join(", ", g.Select(k => k.File).Distinct())})"))} appear in more than one editable file and each copy is searched; make editable only the file whose value takes effect, or exclude the others in [[search]]");
        }

        foreach (var problem in knobs.Problems)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {spec.Source}: {problem}");
        }

        if (knobs.Problems.Count == 0 && knobs.Tunable.Count == 0)
        {
            console.MarkupLineInterpolated($"[yellow]warning:[/] {SearchKnobs.NothingToSearch(spec, knobs.Files, knobs.Found)}");
        }
    }
}
