using System.Globalization;
using AutoResearch.Core.Records;
using AutoResearch.Web.Html;

namespace AutoResearch.Web.Dashboard;

internal sealed partial class Pages
{
    /// <summary>Lines of the log shown on an experiment's page.</summary>
    private const int LogLines = 40;

    /// <summary>One experiment: facts, metrics, learning curve, diff and log tail. Null when there is no such experiment.</summary>
    public async Task<(string Title, HtmlText Main, bool Running)?> ExperimentAsync(IExperimentSource source, long id, CancellationToken cancellationToken)
    {
        var e = await source.ExperimentAsync(id, cancellationToken).ConfigureAwait(false);
        if (e is null)
        {
            return null;
        }

        var run = await source.ExperimentsAsync(e.Tag, cancellationToken).ConfigureAwait(false);
        var parent = CostRatio.Parent(e, run);
        var ratios = Enum.GetValues<CostMeasure>().Select(m => CostRatio.Of(e, parent, m) is { } r ? CostRatio.Describe(r, m) : null).OfType<string>().ToList();
        var facts = new List<(string Key, string? Value)>
        {
            ("description", e.IsBaseline ? "baseline" : e.Description),
            ("parent", e.ParentCommit),
            ("candidate", e.CandidateCommit),
            ("proposer", e.Proposer),
            ("started", e.StartedAt.ToString("u", CultureInfo.InvariantCulture)),
            ("propose time", Seconds(e.ProposeSeconds)),
            ("run time", Seconds(e.RunSeconds)),
            ("exit code", e.ExitCode?.ToString(CultureInfo.InvariantCulture)),
            ("peak memory", e.PeakMemoryMb is { } mb ? mb.ToString("0.0", CultureInfo.InvariantCulture) + " MB" : null),
            ("noise σ", e.Sigma is { } sigma ? Number(sigma) : null),
            ("threshold", e.Threshold is { } threshold ? Number(threshold) : null),
            ("margin", e.Margin is { } margin ? Signed(margin) : null),
            ("decision", e.Decision),
            ("error", e.Error),
            ("rebased from", e.RebasedFrom),
            ("changed", e.ChangedPaths.Count > 0 ? string.Join(", ", e.ChangedPaths) : null),
            ("runs", e.Runs.Count > 0 ? string.Join("  ", e.Runs.Select(r => $"seed {r.Seed}: {Number(r.Value)}")) : null),
            ("cost", e.Cost is { } cost ? Cost(cost) : null),
            ("parent's cost", parent?.Cost is { } parentCost ? $"{Cost(parentCost)} (#{parent.Seq})" : null),
            ("cost ratio", ratios.Count > 0 ? string.Join(", ", ratios) : null),
            ("machine", e.Conditions is { } c
                ? string.Create(CultureInfo.InvariantCulture, $"{c.Cpu ?? "unknown CPU"}, {c.Cores} cores; load {(c.Load is { } load ? load.ToString("0.00", CultureInfo.InvariantCulture) : "unknown")}; autoresearch {c.ToolVersion}")
                : null),
            ("warnings", e.Conditions is { Warnings.Count: > 0 } w ? string.Join("; ", w.Warnings.Distinct()) : null),
        };
        var factRows = facts.Where(f => !string.IsNullOrEmpty(f.Value)).Select(f => Markup.Of($"<div><dt>{f.Key}</dt><dd>{f.Value}</dd></div>"));
        var metricRows = e.Metrics.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => Markup.Of($"<tr><td>{kv.Key}</td><td class=\"num\">{kv.Value.ToString("0.######", CultureInfo.InvariantCulture)}</td></tr>"));
        var log = await source.LogTailAsync(e, LogLines, cancellationToken).ConfigureAwait(false);
        var running = e.Phase != ExperimentPhase.Done;
        var main = Markup.Of($"""
            <h1>Experiment {e.Id} <small>#{e.Seq} of run <a href="{Base}/runs/{Markup.Url(e.Tag)}">{e.Tag}</a></small> {Status(e)}</h1>
            <p class="metric" title="the mean of its runs (seeds)">{Number(e.Metric)}{(e.Runs.Count > 1 ? Markup.Of($" <small>mean of {e.Runs.Count} seeds</small>") : HtmlText.Empty)}</p>
            <dl class="facts">{factRows}</dl>
            {(e.Metrics.Count > 0 ? Markup.Of($"<h2>Metrics of the last run{(e.Runs.Count > 0 ? $" (seed {e.Runs[^1].Seed})" : "")}</h2><div class=\"scroll\"><table class=\"metrics\"><tbody>{metricRows}</tbody></table></div>") : HtmlText.Empty)}
            {(e.Curve.Count > 1 || e.Runs.Any(r => r.Curve.Count > 1) ? Markup.Of($"<h2>Learning curve</h2>{LearningCurve.Svg(e)}") : HtmlText.Empty)}
            <h2>Diff</h2>
            {Diff(e.Patch)}
            <h2>Log tail</h2>
            {(log is null ? Markup.Of($"<p class=\"empty\">no log</p>") : Markup.Of($"<pre class=\"log\">{log}</pre>"))}
            """);
        return ($"experiment {e.Id}", main, running);
    }

    /// <summary>A cost per run in words: <c>61.2 s, 2400000 tokens, 800000 params, 412 MB, 40000 tokens/s</c>.</summary>
    private static string Cost(ExperimentCost cost)
    {
        var parts = new List<string>();
        void Add(double? value, string format, string unit)
        {
            if (value is { } v)
            {
                parts.Add(v.ToString(format, CultureInfo.InvariantCulture) + unit);
            }
        }

        Add(cost.Seconds, "0.0", " s");
        Add(cost.Tokens, "0", " tokens");
        Add(cost.Iterations, "0", " iterations");
        Add(cost.Params, "0", " params");
        Add(cost.MemoryMb, "0", " MB");
        Add(cost.TokensPerSecond, "0", " tokens/s");
        return string.Join(", ", parts);
    }

    /// <summary>A unified diff with added, removed and hunk lines marked for colour.</summary>
    internal static HtmlText Diff(string? patch)
    {
        if (string.IsNullOrEmpty(patch))
        {
            return Markup.Of($"<p class=\"empty\">no changes</p>");
        }

        // Older ledgers may hold a binary patch's base85 lines: shown as git's "Binary files ... differ" line, never the bytes.
        var lines = Core.Workspace.CommittedChange.WithoutBinaryData(patch).TrimEnd().Split('\n').Select(line =>
        {
            var kind = line.StartsWith("+++", StringComparison.Ordinal) || line.StartsWith("---", StringComparison.Ordinal) ? "file"
                : line.StartsWith('+') ? "add"
                : line.StartsWith('-') ? "del"
                : line.StartsWith("@@", StringComparison.Ordinal) ? "hunk"
                : line.StartsWith("diff ", StringComparison.Ordinal) ? "file"
                : "ctx";
            return Markup.Of($"<span class=\"{kind}\">{line.TrimEnd('\r')}</span>\n");
        });
        return Markup.Of($"<pre class=\"diff\">{lines}</pre>");
    }
}
