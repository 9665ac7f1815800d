using System.Globalization;
using System.Text;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Proposers;

/// <summary>
/// Writes the prompt an agent gets for one experiment: the workspace's program.md, the rules (which files it
/// may edit, the metric and its direction), the best result so far, the recent experiments and the tail of
/// the last crash log.
/// </summary>
public static class PromptBuilder
{
    /// <summary>How many recent experiments the prompt lists.</summary>
    public const int HistoryRows = 20;

    /// <summary>Builds the prompt; <paramref name="descriptionPath"/> is where the agent may write its one-line description.</summary>
    public static string Build(ProposalContext context, string? descriptionPath)
    {
        ArgumentNullException.ThrowIfNull(context);
        var spec = context.Spec;
        var metric = spec.Objective.Metric;
        var better = spec.Objective.Direction == Direction.Minimize ? "lower" : "higher";
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;

        text.Append(inv, $"# Experiment {context.Experiment.Seq}\n\n");
        text.Append(inv, $"You are doing research to improve `{metric}` ({better} is better) in the repository in your working directory.\n");
        text.Append("Make ONE focused change that you expect to improve it, then stop.\n\n");

        if (spec.ProgramFile is { } program && File.Exists(Path.Combine(context.Worktree, program)))
        {
            text.Append(inv, $"## Instructions ({program})\n\n");
            text.Append(File.ReadAllText(Path.Combine(context.Worktree, program)).TrimEnd());
            text.Append("\n\n");
        }

        text.Append("## Rules (enforced by the harness)\n\n");
        text.Append(inv, $"- You may edit only files matching: {string.Join(", ", spec.Scope.Globs.Select(g => $"`{g}`"))}. ");
        text.Append("A change to any other file gets the experiment rejected without running it.\n");
        text.Append(inv, $"- Do not run the experiment yourself. The harness runs `{spec.Run.Command}` ");
        text.Append(inv, $"with a hard limit of {spec.Run.Timeout.TotalSeconds:0} s, reads `{metric}` from its output, and keeps your change only if it improves on the best.\n");
        text.Append("- Do not commit; the harness commits and reverts.\n");
        text.Append("- Finish with a one-line description of what you tried");
        text.Append(descriptionPath is null ? " as the last line you print.\n\n" : $": write it to `{descriptionPath}` (or make it the last line you print).\n\n");

        text.Append("## Best so far\n\n");
        var best = context.Best;
        text.Append(inv, $"{metric} = {Format(best.Metric)} at commit {Short(best.CandidateCommit ?? best.ParentCommit)}");
        text.Append(best.IsBaseline ? " (the baseline).\n" : $" (experiment {best.Seq}: {best.Description}).\n");
        var baseline = context.History.FirstOrDefault(e => e.IsBaseline);
        if (baseline is not null && !best.IsBaseline)
        {
            text.Append(inv, $"The baseline scored {Format(baseline.Metric)}.\n");
        }

        var recent = context.History.Where(e => !e.IsBaseline).TakeLast(HistoryRows).ToList();
        if (recent.Count > 0)
        {
            text.Append("\n## Recent experiments (oldest first)\n\n| # | status | ").Append(metric).Append(" | description |\n|---|---|---|---|\n");
            foreach (var e in recent)
            {
                var status = e.Status is { } s ? Ledger.Name(s) : "?";
                text.Append(inv, $"| {e.Seq} | {status} | {Format(e.Metric)} | {(e.Description ?? "").Replace('|', '/')} |\n");
            }
        }

        if (context.LastCrashLogTail is { Length: > 0 } tail)
        {
            text.Append("\n## Tail of the last crashed run's log\n\n```\n").Append(tail.TrimEnd()).Append("\n```\n");
        }

        return text.ToString();
    }

    private static string Format(double? value) => value is { } v ? v.ToString("0.######", CultureInfo.InvariantCulture) : "-";

    private static string Short(string commit) => commit.Length > 7 ? commit[..7] : commit;
}
