namespace AutoResearch.Web.Dashboard;

/// <summary>What <see cref="DashboardEndpoints.MapDashboard"/> serves. Validated once by <see cref="Validate"/>.</summary>
public sealed record DashboardOptions
{
    /// <summary>The runs and experiments to show; null for a coordinator without a ledger of its own (the home page is then the chain).</summary>
    public IExperimentSource? Experiments { get; init; }

    /// <summary>The swarm's chain, log, leaderboard and workers; null for a single workspace (the pages leave them out).</summary>
    public ISwarmSource? Swarm { get; init; }

    /// <summary>Extra navigation entries, for pages the host maps itself (see <see cref="DashboardLayout"/>); default none.</summary>
    public IReadOnlyList<DashboardLink> Links { get; init; } = [];

    /// <summary>The name in the header and the page titles; default <c>autoresearch</c>.</summary>
    public string Title { get; init; } = "autoresearch";

    /// <summary>Where the pages live: empty (the default) for the site root, or a path like <c>/dashboard</c>.</summary>
    public string BasePath { get; init; } = "";

    /// <summary>How often each open page's event stream polls the sources' versions; default 500 ms.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Every problem with these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Experiments is null && Swarm is null)
        {
            problems.Add("the dashboard needs an experiment source, a swarm source, or both");
        }

        if (BasePath.Length > 0 && (!BasePath.StartsWith('/') || BasePath.EndsWith('/')))
        {
            problems.Add($"base path \"{BasePath}\" must be empty or start with '/' and not end with one (e.g. /dashboard)");
        }

        foreach (var link in Links.Where(l => !l.Path.StartsWith('/')))
        {
            problems.Add($"link \"{link.Text}\" path \"{link.Path}\" must start with '/'");
        }

        if (PollInterval < TimeSpan.FromMilliseconds(50) || PollInterval > TimeSpan.FromMinutes(1))
        {
            problems.Add($"poll interval {PollInterval.TotalMilliseconds} ms must be from 50 ms to 1 minute");
        }

        return problems;
    }
}
