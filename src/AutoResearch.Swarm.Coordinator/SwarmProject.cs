using System.Diagnostics;
using System.Globalization;
using AutoResearch.Core;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// The project a coordinator serves: the workspace's spec (objective, editable files, acceptance rule) and the
/// <c>[swarm]</c> section:
/// <list type="bullet">
/// <item><c>verifiers</c>: k, how many workers re-run each claim (default 2, 1 to 9);</item>
/// <item><c>tolerance</c>: how far two runs of the same code at the same seed may differ and still agree (metric units, default 1e-6);</item>
/// <item><c>sigma</c>: the noise σ of one run for this budget, when known (else <c>[acceptance] sigma</c>, else measured from verifications);</item>
/// <item><c>token_budget</c>: the training budget in tokens, passed to runs as AUTORESEARCH_TOKEN_BUDGET;</item>
/// <item><c>max_patch_bytes</c>: the largest patch accepted (default 262144);</item>
/// <item><c>metric_range</c>: a claimed metric's magnitude may be at most max(1, |reference|) times this (default 1000), the reference
/// being the head's verified metric (the claim's own parent metric on the base head, which has none);</item>
/// <item><c>metric_limit</c>: an absolute bound on a claimed metric's magnitude instead (default none; at most 1e12 on the base head).</item>
/// </list>
/// </summary>
public sealed record SwarmProject
{
    public required ResearchSpec Spec { get; init; }

    /// <summary>The project's name (its folder's).</summary>
    public required string Name { get; init; }

    /// <summary>The commit the chain starts from: the workspace's HEAD when the coordinator first started.</summary>
    public required string BaseCommit { get; init; }

    public int Verifiers { get; init; } = 2;

    public double Tolerance { get; init; } = 1e-6;

    public double? Sigma { get; init; }

    public long? TokenBudget { get; init; }

    public int MaxPatchBytes { get; init; } = 256 * 1024;

    /// <summary>How many times the reference metric's magnitude (at least 1) a claimed metric may reach. Default 1000.</summary>
    public double MetricRange { get; init; } = 1000;

    /// <summary>An absolute bound on a claimed metric's magnitude that replaces <see cref="MetricRange"/>. Default none.</summary>
    public double? MetricLimit { get; init; }

    /// <summary>Reads the workspace at <paramref name="directory"/>.</summary>
    /// <exception cref="SpecException">A bad spec or <c>[swarm]</c> section.</exception>
    public static SwarmProject Load(string directory)
    {
        var root = Path.GetFullPath(directory);
        var spec = SpecLoader.Load(root);
        var problems = new List<string>();
        var section = spec.Extra.TryGetValue("swarm", out var s) ? s : new Dictionary<string, object>();
        int verifiers = 2, maxPatch = 256 * 1024;
        double tolerance = 1e-6, range = 1000;
        double? sigma = spec.Acceptance.Sigma;
        long? budget = null;
        double? limit = null;
        foreach (var (key, value) in section)
        {
            switch (key)
            {
                case "verifiers" when value is long v && v is >= 1 and <= 9:
                    verifiers = (int)v;
                    break;
                case "tolerance" when Number(value) is { } t && t >= 0:
                    tolerance = t;
                    break;
                case "sigma" when Number(value) is { } g && g >= 0:
                    sigma = g;
                    break;
                case "token_budget" when value is long b && b > 0:
                    budget = b;
                    break;
                case "max_patch_bytes" when value is long m && m is >= 1024 and <= 16 << 20:
                    maxPatch = (int)m;
                    break;
                case "metric_range" when Number(value) is { } r && r >= 1 && r <= 1e12:
                    range = r;
                    break;
                case "metric_limit" when Number(value) is { } l && l > 0 && l <= 1e300:
                    limit = l;
                    break;
                case "verifiers" or "tolerance" or "sigma" or "token_budget" or "max_patch_bytes" or "metric_range" or "metric_limit":
                    problems.Add(string.Create(CultureInfo.InvariantCulture,
                        $"[swarm] {key} = {value} is out of range (verifiers 1..9, tolerance >= 0, sigma >= 0, token_budget > 0, max_patch_bytes 1024..16777216, metric_range 1..1e12, metric_limit 0..1e300)"));
                    break;
                default:
                    problems.Add($"unknown key [swarm] {key} (known: verifiers, tolerance, sigma, token_budget, max_patch_bytes, metric_range, metric_limit)");
                    break;
            }
        }

        if (problems.Count > 0)
        {
            throw new SpecException(spec.Source, problems);
        }

        return new SwarmProject
        {
            Spec = spec,
            Name = Path.GetFileName(root),
            BaseCommit = HeadCommit(root),
            Verifiers = verifiers,
            Tolerance = tolerance,
            Sigma = sigma,
            TokenBudget = budget,
            MaxPatchBytes = maxPatch,
            MetricRange = range,
            MetricLimit = limit,
        };
    }

    private static double? Number(object value) => value switch
    {
        long l => l,
        double d => d,
        _ => null,
    };

    private static string HeadCommit(string root)
    {
        using var git = Process.Start(NeutralGit.StartInfo(root, ["rev-parse", "HEAD"])) ?? throw new SwarmException("cannot start git; install git", isUsageError: false);
        git.StandardInput.Close();
        var error = git.StandardError.ReadToEndAsync();
        var output = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        if (git.ExitCode != 0 || output.Length != 40)
        {
            throw new SwarmException($"{root} has no commit to start the chain from (git: {error.Result.Trim()}); commit the workspace first", isUsageError: true);
        }

        return output;
    }
}
