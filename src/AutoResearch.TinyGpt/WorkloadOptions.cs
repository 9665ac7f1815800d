using System.Globalization;

namespace AutoResearch.TinyGpt;

/// <summary>
/// Settings of one training run, read from the command line and the environment. Command-line flags win
/// over environment variables, which win over the defaults.
/// </summary>
public sealed record WorkloadOptions
{
    /// <summary>The default time budget: 60 seconds of training.</summary>
    public const double DefaultTimeBudgetSeconds = 60;

    /// <summary>The default seed.</summary>
    public const ulong DefaultSeed = 42;

    /// <summary>Path of the corpus (<c>--data PATH</c> or <c>AUTORESEARCH_DATA</c>); null to use the download cache.</summary>
    public string? DataPath { get; init; }

    /// <summary>Training time budget in seconds (<c>AUTORESEARCH_TIME_BUDGET</c>); default 60. Ignored when <see cref="TokenBudget"/> is set.</summary>
    public double TimeBudgetSeconds { get; init; } = DefaultTimeBudgetSeconds;

    /// <summary>Training budget in tokens (<c>AUTORESEARCH_TOKEN_BUDGET</c>); deterministic; null for a time budget.</summary>
    public long? TokenBudget { get; init; }

    /// <summary>Seed of initialisation, batches and dropout (<c>AUTORESEARCH_SEED</c>); default 42.</summary>
    public ulong Seed { get; init; } = DefaultSeed;

    /// <summary>Threads for the kernels (<c>AUTORESEARCH_THREADS</c>); default: all processors.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Print time per op kind before the summary (<c>AUTORESEARCH_PROFILE=1</c>); default off.</summary>
    public bool Profile { get; init; }

    /// <summary>
    /// Where training writes its checkpoint at the end (<c>--checkpoint PATH</c> or <c>AUTORESEARCH_CHECKPOINT</c>,
    /// set by the harness under trusted scoring); null for none.
    /// </summary>
    public string? CheckpointPath { get; init; }

    /// <summary>
    /// Serve log-probabilities from this checkpoint on stdin/stdout instead of training (<c>--serve-logprobs PATH</c>):
    /// the scoring phase of trusted scoring. Null to train.
    /// </summary>
    public string? ServeCheckpoint { get; init; }

    /// <summary>
    /// Only make sure the data is there (<c>--download-data</c>: downloads tiny shakespeare into the cache when no
    /// <c>--data</c> is given) and exit: the tinygpt template's <c>[run] setup</c>, so that trusted scoring finds its corpus.
    /// </summary>
    public bool DownloadOnly { get; init; }

    /// <summary>
    /// The data file holds only the training split (<c>AUTORESEARCH_SPLIT=train</c>, set by the harness under trusted
    /// scoring): nothing is held out, and the run has no validation data to score itself with.
    /// </summary>
    public bool TrainOnly { get; init; }

    /// <summary>
    /// Reads <c>--data PATH</c>, <c>--time-budget SECONDS</c>, <c>--token-budget TOKENS</c>, <c>--seed N</c>,
    /// <c>--threads N</c> and the matching <c>AUTORESEARCH_*</c> variables.
    /// </summary>
    /// <param name="args">Command-line arguments.</param>
    /// <param name="environment">Looks up an environment variable; defaults to the process environment.</param>
    /// <exception cref="WorkloadException">Some values are invalid; the message lists all of them.</exception>
    public static WorkloadOptions Parse(IReadOnlyList<string> args, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        environment ??= Environment.GetEnvironmentVariable;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var errors = new List<string>();
        (string Flag, string Env)[] keys =
        [
            ("--data", "AUTORESEARCH_DATA"), ("--time-budget", "AUTORESEARCH_TIME_BUDGET"), ("--token-budget", "AUTORESEARCH_TOKEN_BUDGET"),
            ("--seed", "AUTORESEARCH_SEED"), ("--threads", "AUTORESEARCH_THREADS"),
            ("--checkpoint", "AUTORESEARCH_CHECKPOINT"), ("--serve-logprobs", "AUTORESEARCH_SERVE_LOGPROBS"),
        ];
        foreach (var (flag, env) in keys)
        {
            if (environment(env) is { Length: > 0 } value)
            {
                values[flag] = value;
            }
        }

        var downloadOnly = false;
        for (var i = 0; i < args.Count; i++)
        {
            var known = Array.Exists(keys, k => k.Flag == args[i]);
            if (args[i] == "--download-data")
            {
                downloadOnly = true;
            }
            else if (!known)
            {
                errors.Add($"unknown argument '{args[i]}' (known: {string.Join(", ", keys.Select(k => k.Flag))})");
            }
            else if (i + 1 >= args.Count)
            {
                errors.Add($"{args[i]} needs a value");
            }
            else
            {
                values[args[i]] = args[++i];
            }
        }

        var options = new WorkloadOptions { DownloadOnly = downloadOnly };
        if (values.TryGetValue("--data", out var data))
        {
            options = options with { DataPath = data };
        }

        if (values.TryGetValue("--time-budget", out var time))
        {
            if (double.TryParse(time, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && double.IsFinite(seconds))
            {
                options = options with { TimeBudgetSeconds = seconds };
            }
            else
            {
                errors.Add($"time budget '{time}' is not a positive number of seconds (AUTORESEARCH_TIME_BUDGET or --time-budget)");
            }
        }

        if (values.TryGetValue("--token-budget", out var tokens))
        {
            if (long.TryParse(tokens, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0)
            {
                options = options with { TokenBudget = n };
            }
            else
            {
                errors.Add($"token budget '{tokens}' is not a positive whole number (AUTORESEARCH_TOKEN_BUDGET or --token-budget)");
            }
        }

        if (values.TryGetValue("--seed", out var seed))
        {
            if (ulong.TryParse(seed, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s))
            {
                options = options with { Seed = s };
            }
            else
            {
                errors.Add($"seed '{seed}' is not a non-negative whole number (AUTORESEARCH_SEED or --seed)");
            }
        }

        if (values.TryGetValue("--threads", out var threads))
        {
            if (int.TryParse(threads, NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) && t is > 0 and <= 1024)
            {
                options = options with { Threads = t };
            }
            else
            {
                errors.Add($"thread count '{threads}' is not a whole number from 1 to 1024 (AUTORESEARCH_THREADS or --threads)");
            }
        }

        if (values.TryGetValue("--checkpoint", out var checkpoint))
        {
            options = options with { CheckpointPath = checkpoint };
        }

        if (values.TryGetValue("--serve-logprobs", out var serve))
        {
            options = options with { ServeCheckpoint = serve };
        }

        switch (environment("AUTORESEARCH_SPLIT"))
        {
            case null or "" or "all":
                break;
            case "train":
                options = options with { TrainOnly = true };
                break;
            case var other:
                errors.Add($"AUTORESEARCH_SPLIT '{other}' must be 'train' (the file holds only training data) or 'all'");
                break;
        }

        if (environment("AUTORESEARCH_PROFILE") is "1" or "true")
        {
            options = options with { Profile = true };
        }

        return errors.Count == 0 ? options : throw new WorkloadException(string.Join(Environment.NewLine, errors));
    }
}
