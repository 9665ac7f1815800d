namespace AutoResearch.Swarm.Worker;

/// <summary>How a worker joins a swarm. Validate once with <see cref="Validate"/>.</summary>
public sealed record WorkerOptions
{
    /// <summary>The coordinator's base address, e.g. <c>http://coordinator:8787/</c>.</summary>
    public required Uri Coordinator { get; init; }

    /// <summary>Who runs this key (a person or group). Default: the user name.</summary>
    public string Owner { get; init; } = Environment.UserName;

    /// <summary>A name for this machine on the leaderboard. Default: the host name.</summary>
    public string? Name { get; init; } = Environment.MachineName;

    /// <summary>The invitation token, for a swarm that registers new keys by invitation only. Default none.</summary>
    public string? Invite { get; init; }

    /// <summary>How many leases to work on at once. Default 1.</summary>
    public int Parallel { get; init; } = 1;

    /// <summary>Take verification jobs (others' code, always sandboxed). Default true.</summary>
    public bool Verify { get; init; } = true;

    /// <summary>Stop after this many leases in total (tests, Slurm array tasks); null for no limit.</summary>
    public int? MaxLeases { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Coordinator.IsAbsoluteUri || (Coordinator.Scheme != Uri.UriSchemeHttp && Coordinator.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"--coordinator '{Coordinator}' is not an http(s) address; e.g. --coordinator http://host:8787");
        }

        if (Parallel is < 1 or > 64)
        {
            problems.Add($"--parallel {Parallel} must be 1 to 64");
        }

        if (string.IsNullOrWhiteSpace(Owner) || Owner.Length > 100)
        {
            problems.Add("--owner must be 1 to 100 characters");
        }

        if (MaxLeases is < 1)
        {
            problems.Add($"--max-leases {MaxLeases} must be at least 1");
        }

        return problems;
    }
}
