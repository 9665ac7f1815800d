using System.Globalization;
using AutoResearch.Core.Loop;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using Spectre.Console;

namespace AutoResearch.Cli.Rendering;

/// <summary>The tables and reports that <c>run</c>, <c>status</c>, <c>log</c> and <c>show</c> print.</summary>
internal static class Tables
{
    public static void PrintSummary(IAnsiConsole console, ResearchSpec spec, RunSummary summary)
    {
        var metric = spec.Objective.Metric;
        var proposals = summary.Experiments.Count(e => !e.IsBaseline);
        var kept = summary.Experiments.Count(e => !e.IsBaseline && e.Status == ExperimentStatus.Keep);
        console.WriteLine();
        PrintWarnings(console, summary.Experiments);
        console.MarkupLineInterpolated($"[bold]{summary.Run.Tag}[/]: {summary.StopReason}; {proposals} proposals, {kept} kept");
        console.MarkupLineInterpolated(
            $"{metric} (mean of seeds): baseline {Format.Metric(summary.Baseline.Metric)} -> best [green]{Format.Metric(summary.Best.Metric)}[/] (commit {Format.Commit(summary.Best.CandidateCommit)} on branch {summary.Run.Branch})");
        var latest = summary.Experiments.Where(e => e.Threshold is not null && e.Status != ExperimentStatus.Stopped).MaxBy(e => e.FinishedAt);
        if (latest is not null)
        {
            var stopped = summary.Experiments.Count(e => e.Status == ExperimentStatus.Stopped);
            var confirmed = summary.Experiments.Count(e => !e.IsBaseline && e.Runs.Count > 1);
            console.MarkupLineInterpolated(
                $"noise σ {(latest.Sigma is > 0 ? Format.Metric(latest.Sigma) : "unknown")}, keep threshold {Format.Metric(latest.Threshold)}; {confirmed} confirmed by re-runs, {stopped} stopped early");
        }

        var spent = summary.Experiments.Select(Format.TotalTokens).OfType<long>().ToList();
        if (spent.Count > 0)
        {
            console.MarkupLineInterpolated($"model tokens: {Format.Tokens(spent.Sum())} over {spent.Count} proposals");
        }

        var root = Invocation.Quote(spec.Root);
        console.MarkupLineInterpolated($"see it: {Invocation.Command($"log {root}")}; git -C {root} log --oneline {summary.Run.Branch}");
    }

    /// <summary>A run's experiments, one row each; the metric column is the mean of each experiment's runs (seeds), and says so.</summary>
    public static Table Experiments(string metric, IReadOnlyList<ExperimentRecord> experiments, CostMeasure measure = CostMeasure.Time)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumns("#", "id", "commit", "status", $"{metric} (mean of seeds)", "runs", "margin", "threshold", "mem GB", "time", "cost", "description", "decision");
        // Only proposers with a model spend tokens; the column appears once one has.
        var tokens = experiments.Any(e => Format.TotalTokens(e) is not null);
        if (tokens)
        {
            table.AddColumn("tokens");
        }

        double? best = null;
        foreach (var e in experiments)
        {
            // The margin the decision used (positive is better); rows from before noise-aware decisions show the raw delta.
            var margin = e.Margin is { } g ? Format.Signed(g)
                : e.Metric is { } m && best is { } b && !e.IsBaseline ? Format.Signed(m - b) : "";
            List<Spectre.Console.Rendering.IRenderable> cells =
            [
                new Text(e.Seq.ToString(CultureInfo.InvariantCulture)),
                new Text(e.Id.ToString(CultureInfo.InvariantCulture)),
                new Text(Format.Commit(e.CandidateCommit)),
                new Markup($"[{Format.Color(e)}]{Format.Status(e)}[/]"),
                new Text(Format.Metric(e.Metric)),
                new Text(e.Runs.Count > 1 ? e.Runs.Count.ToString(CultureInfo.InvariantCulture) : ""),
                new Text(margin),
                new Text(e.Threshold is { } t ? Format.Metric(t) : ""),
                new Text(Format.MemoryGb(e.PeakMemoryMb)),
                new Text(Format.Seconds(e.RunSeconds)),
                new Text(CostRatio.Describe(e, experiments, measure) ?? ""),
                new Text((e.IsBaseline ? "baseline" : e.Description ?? e.Error ?? "") + Flag(e) + Warned(e)),
                new Text(e.Decision ?? ""),
            ];
            if (tokens)
            {
                cells.Add(new Text(e.IsBaseline ? "" : Format.Tokens(Format.TotalTokens(e))));
            }

            table.AddRow(cells);
            if (e.Status == ExperimentStatus.Keep)
            {
                best = e.Metric;
            }
        }

        return table;
    }

    /// <summary>A mark on an experiment whose runs were warned about (a busy machine, a throughput far from the baseline's).</summary>
    private static string Warned(ExperimentRecord e) =>
        e.Conditions is { Warnings.Count: > 0 } c ? $" (warning: {c.Warnings[^1]})" : "";

    /// <summary>The warnings of a run's experiments, one line each, for under the table.</summary>
    public static void PrintWarnings(IAnsiConsole console, IReadOnlyList<ExperimentRecord> experiments)
    {
        foreach (var e in experiments)
        {
            foreach (var warning in e.Conditions?.Warnings.Distinct() ?? [])
            {
                console.MarkupLineInterpolated($"[yellow]warning[/] #{e.Seq} (id {e.Id}): {warning}");
            }
        }
    }

    /// <summary>A run that kept its status but carries a note (a self-reported metric the trusted score contradicts).</summary>
    private static string Flag(ExperimentRecord e) =>
        e.Error is { } note && e.Status is ExperimentStatus.Keep or ExperimentStatus.Discard && (e.IsBaseline || e.Description is not null)
            ? $" (flag: {note})"
            : "";

    /// <summary>One experiment in full; <paramref name="run"/> (its run's experiments) gives its parent for the cost ratio.</summary>
    public static void PrintExperiment(IAnsiConsole console, string metric, ExperimentRecord e, IReadOnlyList<ExperimentRecord>? run = null, CostMeasure measure = CostMeasure.Time)
    {
        console.MarkupLineInterpolated($"[bold]experiment {e.Id}[/] (#{e.Seq} of run {e.Tag}): [{Format.Color(e)}]{Format.Status(e)}[/]");
        var grid = new Grid().AddColumn().AddColumn();
        void Row(string key, string? value) => grid.AddRow(new Markup($"[bold]{Markup.Escape(key)}[/]"), new Text(value ?? "-"));
        Row("description", e.IsBaseline ? "baseline" : e.Description);
        Row(e.Runs.Count > 1 ? $"{metric} (mean of {e.Runs.Count} seeds)" : metric, Format.Metric(e.Metric));
        Row("parent", e.ParentCommit);
        Row("candidate", e.CandidateCommit);
        Row("proposer", e.Proposer);
        Row("started", e.StartedAt.ToString("u", CultureInfo.InvariantCulture));
        Row("propose time", Format.Seconds(e.ProposeSeconds));
        Row("run time", Format.Seconds(e.RunSeconds));
        if (Format.TotalTokens(e) is { } total)
        {
            Row("tokens", string.Create(CultureInfo.InvariantCulture, $"{total} ({e.InputTokens ?? 0} read, {e.OutputTokens ?? 0} written)"));
        }

        Row("exit code", e.ExitCode?.ToString(CultureInfo.InvariantCulture));
        if (e.Runs.Count > 0)
        {
            Row("runs", string.Join("  ", e.Runs.Select(r => $"seed {r.Seed}: {Format.Metric(r.Value)}")));
        }

        if (e.Sigma is not null || e.Threshold is not null)
        {
            Row("noise σ", e.Sigma is { } sigma ? Format.Metric(sigma) : null);
            Row("threshold", e.Threshold is { } threshold ? Format.Metric(threshold) : null);
            Row("margin", e.Margin is { } margin ? Format.Signed(margin) : null);
        }

        if (e.Decision is not null)
        {
            Row("decision", e.Decision);
        }

        if (e.RebasedFrom is not null)
        {
            Row("rebased from", e.RebasedFrom);
        }

        if (e.Slot > 0)
        {
            Row("slot", e.Slot.ToString(CultureInfo.InvariantCulture));
        }
        Row("peak memory", e.PeakMemoryMb is { } mb ? $"{mb:0.0} MB" : null);
        var parent = run is null ? null : CostRatio.Parent(e, run);
        if (e.Cost is { } cost)
        {
            Row("cost", Format.Cost(cost));
            if (parent?.Cost is { } parentCost)
            {
                Row("parent's cost", $"{Format.Cost(parentCost)} (#{parent.Seq}, id {parent.Id})");
                var ratios = Enum.GetValues<CostMeasure>()
                    .Select(m => CostRatio.Of(e, parent, m) is { } r ? CostRatio.Describe(r, m) + (m == measure ? " ([cost] measure)" : "") : null)
                    .OfType<string>();
                Row("cost ratio", string.Join(", ", ratios));
            }
        }

        if (e.Conditions is { } conditions)
        {
            Row("machine", string.Create(CultureInfo.InvariantCulture,
                $"{conditions.Cpu ?? "unknown CPU"}, {conditions.Cores} cores; load {(conditions.Load is { } load ? load.ToString("0.00", CultureInfo.InvariantCulture) : "unknown")} during its runs; autoresearch {conditions.ToolVersion}"));
            foreach (var warning in conditions.Warnings.Distinct())
            {
                Row("warning", warning);
            }
        }

        Row("log", e.LogPath);
        if (e.Error is not null)
        {
            Row("error", e.Error);
        }

        if (e.ChangedPaths.Count > 0)
        {
            Row("changed", string.Join(", ", e.ChangedPaths));
        }

        // The summary block is the last run's own (one seed): its keys are labelled so, never mistaken for the mean above.
        var last = e.Runs.Count > 0 ? $"last run (seed {e.Runs[^1].Seed})" : "run";
        foreach (var (key, value) in e.Metrics.Where(kv => kv.Key != metric || e.Runs.Count > 1).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            Row($"{key} [{last}]", value.ToString("0.######", CultureInfo.InvariantCulture));
        }

        if (e.Curve.Count > 0)
        {
            Row("curve", string.Join("  ", e.Curve.Where((_, i) => i % Math.Max(1, e.Curve.Count / 10) == 0)
                .Select(c => $"{c.Progress:0}%:{c.Value:0.###}")));
        }

        console.Write(grid);
        if (!string.IsNullOrEmpty(e.Patch))
        {
            console.WriteLine();
            console.Write(new Rule("diff").LeftJustified());
            foreach (var line in Core.Workspace.CommittedChange.WithoutBinaryData(e.Patch).TrimEnd().Split('\n'))
            {
                var color = line.StartsWith('+') ? "green" : line.StartsWith('-') ? "red" : line.StartsWith("@@", StringComparison.Ordinal) ? "cyan" : "default";
                console.MarkupLine($"[{color}]{Markup.Escape(line)}[/]");
            }
        }

        if (e.LogPath is not null && File.Exists(e.LogPath))
        {
            console.WriteLine();
            console.Write(new Rule("log tail").LeftJustified());
            console.WriteLine(Core.Running.ExperimentRunner.Tail(File.ReadAllText(e.LogPath), 20));
        }
    }
}
