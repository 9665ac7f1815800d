using System.Globalization;
using AutoResearch.Core.Records;
using AutoResearch.Web.Html;

namespace AutoResearch.Web.Dashboard;

/// <summary>
/// The dashboard's server-rendered HTML. Every page is a layout around a <c>&lt;main&gt;</c> that the page's script
/// re-fetches (<c>?fragment=1</c>) when the event stream says something changed. Every value from a source is encoded
/// by <see cref="Markup.Of"/>: descriptions, patches and logs come from code under research, which is untrusted.
/// </summary>
internal sealed partial class Pages(DashboardOptions options)
{
    private string Base => options.BasePath;

    /// <summary>The version the sources are at; pages carry it so the event stream can tell them what they missed.</summary>
    public async ValueTask<string> VersionAsync(CancellationToken cancellationToken)
    {
        var experiments = options.Experiments is { } e ? await e.VersionAsync(cancellationToken).ConfigureAwait(false) : 0;
        var swarm = options.Swarm is { } s ? await s.VersionAsync(cancellationToken).ConfigureAwait(false) : 0;
        return string.Create(CultureInfo.InvariantCulture, $"{experiments}.{swarm}");
    }

    /// <summary>A whole page, or only its main content for a live refresh.</summary>
    public string Render(string title, HtmlText main, bool fragment, bool poll = false, string version = "")
    {
        if (fragment)
        {
            return main.Value;
        }

        var nav = new List<HtmlText>();
        if (options.Experiments is not null)
        {
            nav.Add(Link("/", "experiments"));
        }

        if (options.Swarm is not null)
        {
            nav.Add(Link("/chain", "chain"));
            nav.Add(Link("/log", "log"));
            nav.Add(Link("/leaderboard", "leaderboard"));
            nav.Add(Link("/workers", "workers"));
        }

        nav.AddRange(options.Links.Select(l => Link(l.Path, l.Text)));

        return Markup.Of($"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title} · {options.Title}</title>
            <link rel="stylesheet" href="{Base}/assets/dashboard.css">
            </head>
            <body data-events="{Base}/events" data-version="{version}" data-poll="{(poll ? "true" : "false")}">
            <header><a class="brand" href="{Base}/">{options.Title}</a><nav>{nav}</nav><span id="live" class="live" title="live updates">○ offline</span></header>
            <main id="main">{main}</main>
            <script src="{Base}/assets/dashboard.js"></script>
            </body>
            </html>
            """).Value;
    }

    /// <summary>The overview of one run (the latest when <paramref name="tag"/> is null): summary, chart and experiment table.</summary>
    public async Task<(string Title, HtmlText Main, bool Found)> RunAsync(IExperimentSource source, string? tag, string version, CancellationToken cancellationToken)
    {
        var runs = await source.RunsAsync(cancellationToken).ConfigureAwait(false);
        var run = tag is null ? runs.LastOrDefault() : runs.FirstOrDefault(r => r.Tag == tag);
        if (run is null)
        {
            var text = tag is null
                ? Markup.Of($"<p class=\"empty\">No runs yet: <code>{Core.ToolCommand.Of("run")}</code> starts one. This page updates by itself.</p>")
                : Markup.Of($"<p class=\"empty\">No run named <code>{tag}</code>.</p>");
            return ("experiments", Markup.Of($"<h1>Experiments</h1>{text}{RunList(runs, null)}"), tag is null);
        }

        var experiments = await source.ExperimentsAsync(run.Tag, cancellationToken).ConfigureAwait(false);
        var chart = Markup.Of($"""<figure class="chart"><img alt="progress of run {run.Tag}" src="{Base}/runs/{Markup.Url(run.Tag)}/progress.png?v={version}" width="1200" height="600"></figure>""");
        var main = Markup.Of($"""
            <h1>Run <code>{run.Tag}</code></h1>
            {RunList(runs, run.Tag)}
            {Summary(run, experiments)}
            {(experiments.Any(e => e.Phase == ExperimentPhase.Done) ? chart : HtmlText.Empty)}
            {ExperimentTable(run, experiments)}
            """);
        return ($"run {run.Tag}", main, true);
    }

    private HtmlText RunList(IReadOnlyList<RunRecord> runs, string? current)
    {
        if (runs.Count < 2)
        {
            return HtmlText.Empty;
        }

        var items = runs.AsEnumerable().Reverse().Select(r => r.Tag == current
            ? Markup.Of($"<li><strong>{r.Tag}</strong></li>")
            : Markup.Of($"<li><a href=\"{Base}/runs/{Markup.Url(r.Tag)}\">{r.Tag}</a></li>"));
        return Markup.Of($"<ul class=\"runs\">{items}</ul>");
    }

    private HtmlText Summary(RunRecord run, IReadOnlyList<ExperimentRecord> experiments)
    {
        var done = experiments.Where(e => e.Phase == ExperimentPhase.Done).ToList();
        var baseline = done.FirstOrDefault(e => e.IsBaseline);
        var best = done.Where(e => e.Status == ExperimentStatus.Keep).OrderBy(e => e.FinishedAt).ThenBy(e => e.Id).LastOrDefault();
        var current = experiments.Where(e => e.Phase != ExperimentPhase.Done).ToList();
        var state = run.FinishedAt is null ? (current.Count > 0 ? "running" : "open") : "finished";
        var now = current.Select(e => Markup.Of($"""<li><a href="{Base}/experiments/{e.Id}">#{e.Seq}</a> {Status(e)} {e.Description ?? (e.IsBaseline ? "baseline" : "")}</li>"""));
        return Markup.Of($"""
            <dl class="summary">
            <div><dt>state</dt><dd>{state}</dd></div>
            <div><dt>branch</dt><dd><code>{run.Branch}</code></dd></div>
            <div><dt>{run.Metric} (mean of seeds)</dt><dd>{Number(baseline?.Metric)} → <strong class="keep">{Number(best?.Metric)}</strong> ({run.Direction})</dd></div>
            <div><dt>experiments</dt><dd>{done.Count(e => !e.IsBaseline)} done, {done.Count(e => !e.IsBaseline && e.Status == ExperimentStatus.Keep)} kept</dd></div>
            </dl>
            {(current.Count > 0 ? Markup.Of($"<ul class=\"now\">{now}</ul>") : HtmlText.Empty)}
            """);
    }

    private HtmlText ExperimentTable(RunRecord run, IReadOnlyList<ExperimentRecord> experiments)
    {
        var rows = new List<HtmlText>();
        double? best = null;
        foreach (var e in experiments)
        {
            // The raw change against the best before it (negative is lower), and the decision's margin against its noise threshold.
            var delta = e.Metric is { } m && best is { } b && !e.IsBaseline ? Signed(m - b) : "";
            var margin = e.Margin is { } g
                ? e.Threshold is { } t ? $"{Signed(g)} / {Number(t)}" : Signed(g)
                : "";
            rows.Add(Markup.Of($"""
                <tr class="{StatusName(e)}" data-id="{e.Id}">
                <td><a href="{Base}/experiments/{e.Id}">#{e.Seq}</a></td>
                <td>{Status(e)}</td>
                <td class="num">{Number(e.Metric)}</td>
                <td class="num wide">{delta}</td>
                <td class="num wide" title="margin over the best / the threshold it had to beat">{margin}</td>
                <td class="num wide">{Seconds(e.RunSeconds)}</td>
                <td class="num wide" title="cost per run over its parent's">{CostRatio.Describe(e, experiments, CostMeasure.Time) ?? ""}</td>
                <td class="desc">{(e.IsBaseline ? "baseline" : e.Description ?? e.Error ?? "")}{(e.Conditions is { Warnings.Count: > 0 } c ? Markup.Of($" <span class=\"warning\" title=\"{c.Warnings[^1]}\">⚠ {c.Warnings[^1]}</span>") : HtmlText.Empty)}</td>
                </tr>
                """));
            if (e.Status == ExperimentStatus.Keep)
            {
                best = e.Metric;
            }
        }

        rows.Reverse();
        return Markup.Of($"""
            <div class="scroll"><table class="experiments">
            <thead><tr><th>#</th><th>status</th><th title="the mean of the experiment's runs (seeds)">{run.Metric} (mean)</th><th class="wide">Δ best</th><th class="wide">margin / noise</th><th class="wide">time</th><th class="wide">cost</th><th>description</th></tr></thead>
            <tbody>{rows}</tbody>
            </table></div>
            """);
    }

    private HtmlText Link(string path, string text) => Markup.Of($"<a href=\"{Base}{path}\">{text}</a>");

    private static HtmlText Status(ExperimentRecord e) => Markup.Of($"<span class=\"status {StatusName(e)}\">{StatusName(e)}</span>");

    internal static string StatusName(ExperimentRecord e) => e.Status is { } s ? Ledger.Name(s) : e.Phase.ToString().ToLowerInvariant();

    internal static string Number(double? value) => value is { } v ? v.ToString("0.000000", CultureInfo.InvariantCulture) : "–";

    internal static string Signed(double value) => value.ToString("+0.000000;-0.000000;0", CultureInfo.InvariantCulture);

    internal static string Seconds(double? value) => value is { } v ? v.ToString("0.0", CultureInfo.InvariantCulture) + " s" : "";
}
