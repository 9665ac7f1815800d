namespace AutoResearch.Swarm.Coordinator;

/// <summary>How a coordinator serves its project. Validate once with <see cref="Validate"/>.</summary>
public sealed record CoordinatorOptions
{
    /// <summary>The workspace whose spec the swarm works on (a git repository with autoresearch.toml).</summary>
    public required string ProjectDirectory { get; init; }

    /// <summary>Where state lives: <c>sqlite:PATH</c> or <c>postgres://...</c>.</summary>
    public required string Database { get; init; }

    /// <summary>The TCP port; 0 picks a free one (tests). Default 8787.</summary>
    public int Port { get; init; } = 8787;

    /// <summary>
    /// The IP address to listen on: <c>0.0.0.0</c> or <c>::</c> for every interface (a swarm beyond this machine). Default
    /// <c>127.0.0.1</c>: a coordinator is reachable from elsewhere only when its operator says so.
    /// </summary>
    public string Listen { get; init; } = "127.0.0.1";

    /// <summary>New registrations per minute allowed from one IP address (a token bucket of this size). Default 10.</summary>
    public double RegistrationsPerMinutePerAddress { get; init; } = 10;

    /// <summary>New registrations per minute allowed from all addresses together (a token bucket of this size). Default 120.</summary>
    public double RegistrationsPerMinute { get; init; } = 120;

    /// <summary>
    /// Invitation tokens for an open swarm: when any are set, a new key registers only with one of them (trusted keys need none).
    /// Default none: anyone who can reach the coordinator may register.
    /// </summary>
    public IReadOnlyList<string> Invites { get; init; } = [];

    /// <summary>
    /// Keys the operator links into one owner: key (base64url) to owner name. Keys of one owner never verify each other's claims
    /// nor one claim twice, and share its verification slots. A key not listed is its own owner. Default none.
    /// </summary>
    public IReadOnlyDictionary<string, string> Owners { get; init; } = new Dictionary<string, string>();

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

    /// <summary>
    /// How many times a pending claim is rebased onto a new head (and how many heads its parent may fall behind while it waits)
    /// before it is rejected as stale. Default 8: a fast chain moves several heads while a claim waits, and a win that still
    /// applies is merged with others (see the coordinator's merged rounds).
    /// </summary>
    public int MaxRebases { get; init; } = 8;

    /// <summary>
    /// The most share of leases (and so, roughly, of the swarm's runs) that go to verifying claims: beyond it, workers that ask
    /// for work explore, and claims wait their turn in the queue, best first (those that wait too long go stale). Also sizes the
    /// verification slots to the swarm. 0 to 1; default 0.2.
    /// </summary>
    public double VerificationBudget { get; init; } = 0.2;

    /// <summary>
    /// One claim in this many of a key with a record (which one trusted machine may reproduce alone) is still checked by all k
    /// verifiers, at random. 1 checks every claim fully. Default 4.
    /// </summary>
    public int AuditOdds { get; init; } = 4;

    /// <summary>
    /// For a project that sets no σ (<c>[swarm] sigma</c> or <c>[acceptance] sigma</c>): at how many seeds the swarm runs the base
    /// to measure it before any claim is decided (two owners agree on each). 0 does not measure: decisions then use the spread
    /// of verifiers' runs of one head at different seeds, which rarely exist, else σ = 0 (any reproduced gain is kept). Default 5:
    /// σ from three values is off by more than a factor of two about one time in four (from five, one in eleven), and every
    /// later decision inherits the error.
    /// </summary>
    public int NoiseSeeds { get; init; } = 5;

    /// <summary>
    /// How long a key whose claim was caught false (or refused for breaking the boundaries) may not claim: this after the
    /// first, doubling with each one after, at most a day. Its wins still go to the shared log. Default 1 minute.
    /// </summary>
    public TimeSpan ClaimCooldown { get; init; } = TimeSpan.FromMinutes(1);

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

        if (NoiseSeeds is < 0 or 1 or > 20)
        {
            problems.Add($"noise seeds {NoiseSeeds} must be 0 (do not measure) or 2 to 20");
        }

        if (AuditOdds < 1)
        {
            problems.Add($"audit odds {AuditOdds} must be at least 1 (1 checks every claim by all k verifiers)");
        }

        if (VerificationBudget is <= 0 or > 1 || double.IsNaN(VerificationBudget))
        {
            problems.Add($"verification budget {VerificationBudget} must be above 0 and at most 1");
        }

        if (!System.Net.IPAddress.TryParse(Listen, out _))
        {
            problems.Add($"--listen '{Listen}' is not an IP address (127.0.0.1 for this machine only, 0.0.0.0 or :: for every interface)");
        }

        if (RegistrationsPerMinutePerAddress < 1 || RegistrationsPerMinute < 1)
        {
            problems.Add($"registrations per minute {RegistrationsPerMinutePerAddress} per address, {RegistrationsPerMinute} in all: need at least 1");
        }

        if (Invites.Any(i => i.Length < 16))
        {
            problems.Add("an --invite token must be at least 16 characters (make one with `openssl rand -hex 16`)");
        }

        foreach (var (key, owner) in Owners)
        {
            if (!Protocol.WorkerKey.IsPublicKey(key) || owner.Trim().Length is 0 or > 100)
            {
                problems.Add($"--link-owner '{key}={owner}': need KEY=OWNER, an Ed25519 public key and a name of 1 to 100 characters");
            }
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
