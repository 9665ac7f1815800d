namespace AutoResearch.Swarm.Coordinator;

/// <summary>How a coordinator serves its project. Validate once with <see cref="Validate"/>.</summary>
public sealed record CoordinatorOptions
{
    /// <summary>The workspace whose spec the swarm works on (a git repository with autoresearch.toml).</summary>
    public required string ProjectDirectory { get; init; }

    /// <summary>Where state lives: <c>sqlite:PATH</c> or <c>postgres://...</c>.</summary>
    public required string Database { get; init; }

    /// <summary>The TCP port on all interfaces; 0 picks a free one (tests). Default 8787.</summary>
    public int Port { get; init; } = 8787;

    /// <summary>Listen on loopback only (tests and the simulator). Default false.</summary>
    public bool LoopbackOnly { get; init; }

    /// <summary>Public keys (base64url) of the project owner's machines: trusted verifiers that score on the holdout and count for more.</summary>
    public IReadOnlyList<string> TrustedKeys { get; init; } = [];

    /// <summary>How long a lease is held before it is offered again. Default: twice the run timeout plus a minute.</summary>
    public TimeSpan? LeaseDuration { get; init; }

    /// <summary>How far a request's issue time may be from the coordinator's clock. Default 5 minutes.</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The largest request body accepted, in bytes. Default 1 MiB.</summary>
    public int MaxBodyBytes { get; init; } = 1 << 20;

    /// <summary>Signed requests per second allowed per key (a token bucket of twice this size). Default 20.</summary>
    public double RequestsPerSecond { get; init; } = 20;

    /// <summary>Leases a new key may hold at once; it grows by one per verified result, up to <see cref="MaxQuota"/>. Default 2.</summary>
    public int InitialQuota { get; init; } = 2;

    /// <summary>The most leases one key may hold at once. Default 64.</summary>
    public int MaxQuota { get; init; } = 64;

    /// <summary>How many times a pending claim is rebased onto a new head before it is rejected as stale. Default 3.</summary>
    public int MaxRebases { get; init; } = 3;

    /// <summary>
    /// Called after every request with its method, path and the time the coordinator spent on it, from the first byte it read
    /// to the last it wrote (diagnostics: the simulator reports it beside what the workers saw). Default none.
    /// </summary>
    public Action<string, string, TimeSpan>? RequestTimed { get; init; }

    /// <summary>The problems with these options, all at once; empty when they are valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Directory.Exists(ProjectDirectory))
        {
            problems.Add($"--project '{ProjectDirectory}' does not exist; point it at a workspace with autoresearch.toml");
        }

        if (Port is < 0 or > 65535)
        {
            problems.Add($"--port {Port} is not a TCP port (0 to 65535)");
        }

        if (MaxBodyBytes < 4096)
        {
            problems.Add($"max body {MaxBodyBytes} bytes is too small (at least 4096)");
        }

        if (RequestsPerSecond <= 0)
        {
            problems.Add($"requests per second {RequestsPerSecond} must be positive");
        }

        if (InitialQuota < 1 || MaxQuota < InitialQuota)
        {
            problems.Add($"quotas {InitialQuota}..{MaxQuota}: need 1 <= initial <= max");
        }

        if (LeaseDuration is { } d && d <= TimeSpan.Zero)
        {
            problems.Add($"lease duration {d} must be positive");
        }

        foreach (var key in TrustedKeys.Where(k => !Protocol.WorkerKey.IsPublicKey(k)))
        {
            problems.Add($"--trusted-key '{key}' is not an Ed25519 public key (43 base64url characters, as `autoresearch worker` prints)");
        }

        return problems;
    }
}
