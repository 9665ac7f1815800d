using AutoResearch.Swarm.Simulator.Adversaries;

namespace AutoResearch.Swarm.Simulator;

/// <summary>What to simulate. Validate once with <see cref="Validate"/>.</summary>
public sealed record SimulationOptions
{
    /// <summary>Honest virtual workers. Default 20. One is a worker alone, without coordinator or verification (the baseline).</summary>
    public int Workers { get; init; } = 20;

    /// <summary><c>all</c>, <c>none</c>, or a comma list of <c>kind[:count]</c> (fabricator, forger, replayer, lazy, colluder, smuggler).</summary>
    public string Adversaries { get; init; } = "all";

    /// <summary>How long to run. Default 1 minute.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The wall time one synthetic training run takes. Default 200 ms.</summary>
    public TimeSpan RunTime { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The database: <c>sqlite:PATH</c> (default: a temporary file) or <c>postgres://...</c> (its tables are dropped first).</summary>
    public string? Database { get; init; }

    /// <summary>The synthetic objective's run-to-run noise σ. Default 0.01.</summary>
    public double Sigma { get; init; } = 0.01;

    /// <summary>The synthetic objective's knobs (its dimension). Default 8.</summary>
    public int Knobs { get; init; } = SyntheticObjective.Knobs;

    /// <summary>Seeds the objective and the workers' proposals. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Trusted verifiers (the project owner's machines), among the honest workers. Default: one per 50 workers, at least 1.</summary>
    public int? Trusted { get; init; }

    /// <summary>
    /// Every worker registers before the clock starts, and all start within one run time: the time measured is research, not
    /// joining (the scaling study's setting). Default false: workers join over the first tenth of the run, at most 10 s.
    /// </summary>
    public bool JoinFirst { get; init; }

    internal int TrustedCount => Trusted ?? Math.Max(1, Workers / 50);

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Workers is not 1 and (< 3 or > 20000))
        {
            problems.Add($"--workers {Workers} must be 1 (one worker alone) or 3 to 20000 (verification needs at least two others)");
        }

        if (Knobs is < 1 or > 1000)
        {
            problems.Add($"--knobs {Knobs} must be 1 to 1000");
        }

        if (Duration <= TimeSpan.Zero)
        {
            problems.Add("--minutes must be positive");
        }

        if (RunTime < TimeSpan.Zero)
        {
            problems.Add("--run-ms must not be negative");
        }

        if (TrustedCount < 0 || TrustedCount > Workers)
        {
            problems.Add($"--trusted {Trusted} must be 0 to --workers");
        }

        problems.AddRange(ParseAdversaries(Adversaries).Problems);
        return problems;
    }

    /// <summary>How many of each adversary kind (a colluder count is in pairs).</summary>
    internal static (Dictionary<AdversaryKind, int> Counts, List<string> Problems) ParseAdversaries(string text)
    {
        var counts = new Dictionary<AdversaryKind, int>();
        var problems = new List<string>();
        if (text is "all")
        {
            foreach (var kind in Enum.GetValues<AdversaryKind>())
            {
                counts[kind] = 2;
            }

            counts[AdversaryKind.Colluder] = 1;
            return (counts, problems);
        }

        if (text is "none" or "")
        {
            return (counts, problems);
        }

        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(':');
            if (!Enum.TryParse<AdversaryKind>(pieces[0], ignoreCase: true, out var kind) || int.TryParse(pieces[0], out _))
            {
                problems.Add($"--adversaries: unknown kind '{pieces[0]}' (known: all, none, {string.Join(", ", Enum.GetNames<AdversaryKind>().Select(n => n.ToLowerInvariant()))})");
                continue;
            }

            var count = 1;
            if (pieces.Length > 1 && (!int.TryParse(pieces[1], out count) || count is < 0 or > 1000))
            {
                problems.Add($"--adversaries: count in '{part}' must be 0 to 1000");
                continue;
            }

            counts[kind] = count;
        }

        return (counts, problems);
    }
}
