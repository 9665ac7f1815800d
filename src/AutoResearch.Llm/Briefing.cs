using System.Globalization;
using System.Text;
using AutoResearch.Core.Proposers;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;

namespace AutoResearch.Llm;

/// <summary>
/// What the model is told at the start of an experiment: the standing instructions (system prompt), then the
/// workspace's program.md, the rules, the best result, a compact history with the diffs of the recent keeps, the
/// notebook, and the tail of the last crash log.
/// </summary>
internal static class Briefing
{
    /// <summary>How many recent experiments the history lists.</summary>
    public const int HistoryRows = 30;

    /// <summary>How many recent keeps show their diff.</summary>
    public const int KeptDiffs = 3;

    /// <summary>The longest diff shown for one keep.</summary>
    public const int MaxDiffCharacters = 4_000;

    public const string System = """
        You are a careful machine-learning researcher working in a git repository through tools. Each conversation is one
        experiment: you make ONE focused change to the editable files that you expect to improve the metric, then call
        finish(description). A harness, not you, runs the experiment under a fixed budget, measures the metric, and keeps the
        change only if it beats the best result by more than the noise; otherwise it is thrown away.

        How to work:
        - Read before you edit: read_file the editable files (and whatever else helps) first.
        - Edit with replace_in_file (exact text, occurring once) or write_file. Only the editable files can be changed;
          other files are read-only and the tools refuse them.
        - Change one idea at a time, so the result teaches something. Learn from the history: do not repeat what failed.
        - Use note(text) to record what you learned or plan next; your notebook is shown to you in every experiment.
        - Do not try to run anything: there is no shell. Finish with finish(description), one line saying what you changed
          and why (it becomes the commit message).
        """;

    /// <summary>The opening user message for <paramref name="context"/>.</summary>
    public static string Build(ProposalContext context, IReadOnlyList<string> editableFiles, string notebook)
    {
        var spec = context.Spec;
        var metric = spec.Objective.Metric;
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.Append(inv, $"# Experiment {context.Experiment.Seq} of run {context.Experiment.Tag}\n\n");
        text.Append(inv, $"Goal: {(spec.Objective.Direction == Direction.Minimize ? "lower" : "raise")} `{metric}`.\n\n");

        if (spec.ProgramFile is { } program && File.Exists(Path.Combine(context.Worktree, program)))
        {
            text.Append(inv, $"## Instructions ({program})\n\n");
            text.Append(File.ReadAllText(Path.Combine(context.Worktree, program)).TrimEnd()).Append("\n\n");
        }

        text.Append("## Rules (enforced by the harness)\n\n");
        text.Append(inv, $"- Editable: {string.Join(", ", spec.Scope.Globs.Select(g => $"`{g}`"))}");
        text.Append(editableFiles.Count > 0 ? $" (now: {string.Join(", ", editableFiles)}).\n" : ".\n");
        text.Append("- Everything else is read-only; a change outside the editable files gets the experiment rejected unrun.\n");
        text.Append(inv, $"- The harness runs `{spec.Run.Command}` with a hard limit of {spec.Run.Timeout.TotalSeconds:0} s and reads `{metric}` from its output.\n");
        text.Append("- Call finish(description) when your change is made.\n\n");

        text.Append("## Best so far\n\n");
        var best = context.Best;
        text.Append(inv, $"{metric} = {Format(best.Metric)}");
        text.Append(best.IsBaseline ? " (the baseline, unmodified code).\n" : $" (experiment {best.Seq}: {best.Description}).\n");
        if (context.History.FirstOrDefault(e => e.IsBaseline) is { } baseline && !best.IsBaseline)
        {
            text.Append(inv, $"The baseline scored {Format(baseline.Metric)}.\n");
        }

        if (best.Threshold is { } threshold && threshold > 0)
        {
            text.Append(inv, $"A change is kept only if it beats the best by more than {Format(threshold)} (the measured noise).\n");
        }

        var recent = context.History.Where(e => !e.IsBaseline).TakeLast(HistoryRows).ToList();
        if (recent.Count > 0)
        {
            text.Append("\n## History (oldest first)\n\n| # | status | ").Append(metric).Append(" | description | note |\n|---|---|---|---|---|\n");
            foreach (var e in recent)
            {
                var status = e.Status is { } s ? Ledger.Name(s) : "?";
                var why = e.Status is ExperimentStatus.Keep or ExperimentStatus.Discard ? e.Decision : e.Error ?? e.Decision;
                text.Append(inv, $"| {e.Seq} | {status} | {Format(e.Metric)} | {Cell(e.Description)} | {Cell(why)} |\n");
            }
        }

        var keeps = context.History.Where(e => !e.IsBaseline && e.Status == ExperimentStatus.Keep && !string.IsNullOrEmpty(e.Patch))
            .TakeLast(KeptDiffs).ToList();
        foreach (var keep in keeps)
        {
            var patch = keep.Patch!.TrimEnd();
            if (patch.Length > MaxDiffCharacters)
            {
                patch = patch[..MaxDiffCharacters] + "\n... (diff cut)";
            }

            text.Append(inv, $"\n## Kept change {keep.Seq}: {keep.Description}\n\n```diff\n{patch}\n```\n");
        }

        text.Append("\n## Your notebook\n\n").Append(notebook.Trim().Length > 0 ? notebook.TrimEnd() + "\n" : "(empty: use note() to start it)\n");

        if (context.LastCrashLogTail is { Length: > 0 } tail)
        {
            text.Append("\n## Tail of the last crashed run's log\n\n```\n").Append(tail.TrimEnd()).Append("\n```\n");
        }

        return text.ToString();
    }

    private static string Cell(string? text) => Proposal.Cut(text ?? "").Replace('|', '/');

    private static string Format(double? value) => value is { } v ? v.ToString("0.######", CultureInfo.InvariantCulture) : "-";
}
