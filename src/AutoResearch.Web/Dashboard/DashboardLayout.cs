using AutoResearch.Web.Html;

namespace AutoResearch.Web.Dashboard;

/// <summary>
/// The dashboard's page frame for pages a host adds itself (on the group <see cref="DashboardEndpoints.MapDashboard"/>
/// returns): the same header, navigation, stylesheet and live updates. Build <paramref name="main"/> with
/// <see cref="Markup.Of"/> so that every value is HTML-encoded.
/// </summary>
public static class DashboardLayout
{
    /// <summary>The whole page, or only <paramref name="main"/> when <paramref name="fragment"/> (what live updates fetch).</summary>
    public static async Task<string> PageAsync(
        DashboardOptions options, string title, HtmlText main, bool fragment = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var pages = new Pages(options);
        return pages.Render(title, main, fragment, version: await pages.VersionAsync(cancellationToken).ConfigureAwait(false));
    }
}
