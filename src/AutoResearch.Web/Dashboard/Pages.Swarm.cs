using System.Globalization;
using AutoResearch.Web.Html;

namespace AutoResearch.Web.Dashboard;

internal sealed partial class Pages
{
    /// <summary>The chain: its progress chart and its entries, newest first.</summary>
    public HtmlText Chain(ISwarmSource swarm)
    {
        var chain = swarm.Chain();
        var rows = chain.OrderByDescending(c => c.Height).Select(c => Markup.Of($"""
            <tr>
            <td>{c.Height}</td>
            <td><code>{Short(c.Commit)}</code></td>
            <td class="num">{Number(c.Metric)}</td>
            <td class="num wide">{(c.Margin is { } m ? Signed(m) : "")}</td>
            <td class="num wide">{c.Verifications}</td>
            <td>{c.Contributor}</td>
            <td class="desc">{c.Description}</td>
            <td class="wide">{c.AcceptedAt.ToString("u", CultureInfo.InvariantCulture)}</td>
            </tr>
            """));
        var chart = chain.Count > 0
            ? Markup.Of($"""<figure class="chart"><img alt="progress of the chain" src="{Base}/chain/progress.png?v={Version()}" width="1200" height="600"></figure>""")
            : Markup.Of($"<p class=\"empty\">The chain is empty.</p>");
        return Markup.Of($"""
            <h1>Chain</h1>
            {chart}
            <div class="scroll"><table>
            <thead><tr><th>height</th><th>commit</th><th>{swarm.Metric}</th><th class="wide">margin</th><th class="wide">verified</th><th>contributor</th><th>description</th><th class="wide">accepted</th></tr></thead>
            <tbody>{rows}</tbody>
            </table></div>
            """);
    }

    public static HtmlText Leaderboard(ISwarmSource swarm)
    {
        var rows = swarm.Leaderboard().Select(r => Markup.Of($"""
            <tr>
            <td>{r.Rank}</td>
            <td>{r.Contributor}</td>
            <td class="num">{r.Accepted}</td>
            <td class="num wide">{r.Claims}</td>
            <td class="num">{Signed(r.Improvement)}</td>
            <td class="num wide">{r.Credit.ToString("0.##", CultureInfo.InvariantCulture)}</td>
            <td class="wide">{r.LastAcceptedAt?.ToString("u", CultureInfo.InvariantCulture)}</td>
            </tr>
            """));
        return Markup.Of($"""
            <h1>Leaderboard</h1>
            <div class="scroll"><table>
            <thead><tr><th>#</th><th>contributor</th><th>accepted</th><th class="wide">claims</th><th>improvement</th><th class="wide">credit</th><th class="wide">last accepted</th></tr></thead>
            <tbody>{rows}</tbody>
            </table></div>
            """);
    }

    public static HtmlText Workers(ISwarmSource swarm)
    {
        var rows = swarm.Workers().Select(w => Markup.Of($"""
            <tr>
            <td title="{w.Id}">{w.Name}</td>
            <td class="wide">{w.Owner}</td>
            <td>{w.State}</td>
            <td class="wide">{w.Hardware}</td>
            <td class="num">{w.Experiments}</td>
            <td class="num wide">{w.Verified}</td>
            <td class="num wide">{w.Trust.ToString("0.##", CultureInfo.InvariantCulture)}</td>
            <td>{w.LastSeen.ToString("u", CultureInfo.InvariantCulture)}</td>
            </tr>
            """));
        return Markup.Of($"""
            <h1>Workers</h1>
            <div class="scroll"><table>
            <thead><tr><th>worker</th><th class="wide">owner</th><th>state</th><th class="wide">hardware</th><th>experiments</th><th class="wide">verified</th><th class="wide">trust</th><th>last seen</th></tr></thead>
            <tbody>{rows}</tbody>
            </table></div>
            """);
    }

    private static string Short(string commit) => commit.Length > 10 ? commit[..10] : commit;
}
