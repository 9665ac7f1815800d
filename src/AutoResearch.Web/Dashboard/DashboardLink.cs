namespace AutoResearch.Web.Dashboard;

/// <summary>An extra entry in the dashboard's navigation, for a page the host maps itself.</summary>
/// <param name="Path">The page's path under <see cref="DashboardOptions.BasePath"/>, starting with '/'.</param>
/// <param name="Text">The link's text.</param>
public sealed record DashboardLink(string Path, string Text);
