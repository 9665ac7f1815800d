using System.Globalization;
using AutoResearch.Web.Html;

namespace AutoResearch.Web.Dashboard;

internal sealed partial class Pages
{
    /// <summary>Experiments shown on the swarm's log page.</summary>
    public const int LogLimit = 200;

    /// <summary>The chain: its progress chart and its entries, newest first.</summary>
    public async Task<HtmlText> ChainAsync(ISwarmSource swarm, string version, CancellationToken cancellationToken)
    {
        var chain = await swarm.ChainAsync(cancellationToken).ConfigureAwait(false);
        var rows = chain.OrderByDescending(c => c.Height).Select(c => Markup.Of($"""
            <tr>
            <td>{c.Height}</td>
            <td><code title="{c.Head}">{Short(c.Head)}</code></td>
            <td class="num">{Number(c.Metric)}</td>
            <td class="num wide">{(c.Improvement is { } m ? Signed(m) : "")}</td>
            <td class="num wide">{c.Verifications}</td>
            <td>{c.Contributor}</td>
            <td class="desc">{c.Description}{Patch(c.Patch)}</td>
            <td class="wide">{c.AcceptedAt.ToString("u", CultureInfo.InvariantCulture)}</td>
            </tr>
            """));
        var chart = chain.Count > 0
            ? Markup.Of($"""<figure class="chart"><img alt="progress of the chain" src="{Base}/chain/progress.png?v={version}" width="1200" height="600"></figure>""")
            : Markup.Of($"<p class=\"empty\">The chain is empty: no improvement has been verified yet.</p>");
        return Markup.Of($"""
            <h1>Chain</h1>
            {chart}
            <div class="scroll"><table>
            <thead><tr><th>height</th><th>head</th><th>{swarm.Metric}</th><th class="wide">improvement</th><th class="wide">verified</th><th>contributor</th><th>description</th><th class="wide">accepted</th></tr></thead>
            <tbody>{rows}</tbody>
            </table></div>
            """);
    }

    /// <summary>The shared experiment log, newest first.</summary>
    public static async Task<HtmlText> LogAsync(ISwarmSource swarm, CancellationToken cancellationToken)
    {
        var log = await swarm.LogAsync(LogLimit, cancellationToken).ConfigureAwait(false);
        var rows = log.Select(e => Markup.Of($"""
            <tr class="{e.Status}" data-id="{e.Id}">
            <td>{e.Id}</td>
            <td><span class="status {e.Status}">{e.Status}</span></td>
            <td class="num">{Number(e.Metric)}</td>
            <td class="num wide">{e.HeadHeight}</td>
            <td>{e.Contributor}</td>
            <td class="desc">{e.Description}{Patch(e.Patch)}</td>
            <td class="wide">{e.At.ToString("u", CultureInfo.InvariantCulture)}</td>
            </tr>
            """));
        return Markup.Of($"""
            <h1>Shared log <small>latest {log.Count}</small></h1>
            <div class="scroll"><table class="experiments">
            <thead><tr><th>id</th><th>status</th><th>{swarm.Metric}</th><th class="wide">from height</th><th>worker</th><th>description</th><th class="wide">at</th></tr></thead>
            <tbody>{rows}</tbody>
            </table></div>
            """);
    }

    public static async Task<HtmlText> LeaderboardAsync(ISwarmSource swarm, CancellationToken cancellationToken)
    {
        var rows = (await swarm.LeaderboardAsync(cancellationToken).ConfigureAwait(false)).Select(r => Markup.Of($"""
            <tr>
            <td>{r.Rank}</td>
            <td>{r.Contributor}</td>
            <td class="wide">{r.Owner}</td>
            <td class="num">{Signed(r.Improvement)}</td>
            <td class="num">{r.Accepted}</td>
            <td class="num wide">{r.Rejected}</td>
            <td class="num wide">{r.Verifications}</td>
            <td class="num wide">{r.VerificationCredit.ToString("0.##", CultureInfo.InvariantCulture)}</td>
            <td class="num wide">{r.Caught}</td>
            </tr>
            """));
        return Markup.Of($"""
            <h1>Leaderboard</h1>
            <div class="scroll"><table>
            <thead><tr><th>#</th><th>contributor</th><th class="wide">owner</th><th>improvement</th><th>accepted</th><th class="wide">rejected</th><th class="wide">verifications</th><th class="wide">verification credit</th><th class="wide">caught</th></tr></thead>
            <tbody>{rows}</tbody>
            </table></div>
            """);
    }

    public static async Task<HtmlText> WorkersAsync(ISwarmSource swarm, CancellationToken cancellationToken)
    {
        var rows = (await swarm.WorkersAsync(cancellationToken).ConfigureAwait(false)).Select(w => Markup.Of($"""
            <tr>
            <td title="{w.Id}">{w.Name ?? Short(w.Id)}</td>
            <td class="wide">{w.Owner}</td>
            <td>{w.State}</td>
            <td class="wide">{(w.Trusted ? "trusted" : "")}</td>
            <td class="num">{w.Trust}</td>
            <td class="num wide">{w.Quota}</td>
            <td>{w.LastSeen.ToString("u", CultureInfo.InvariantCulture)}</td>
            </tr>
            """));
        return Markup.Of($"""
            <h1>Workers</h1>
            <div class="scroll"><table>
            <thead><tr><th>worker</th><th class="wide">owner</th><th>state</th><th class="wide">kind</th><th>trust</th><th class="wide">quota</th><th>last seen</th></tr></thead>
            <tbody>{rows}</tbody>
            </table></div>
            """);
    }

    private static HtmlText Patch(string? patch) =>
        string.IsNullOrEmpty(patch) ? HtmlText.Empty : Markup.Of($"<details><summary>diff</summary>{Diff(patch)}</details>");

    private static string Short(string id) => id.Length > 12 ? id[..12] : id;
}
