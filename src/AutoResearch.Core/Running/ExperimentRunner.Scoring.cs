using System.Diagnostics;
using System.Globalization;
using AutoResearch.Core.Running.Slurm;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Running;

/// <summary>The sandbox's view of a run, and the trusted scoring phase after training.</summary>
public sealed partial class ExperimentRunner
{
    /// <summary>What the scoring phase concluded.</summary>
    /// <param name="Metric">The trusted metric, or null.</param>
    /// <param name="Failure">Why scoring failed.</param>
    /// <param name="Violation">The failure is the model breaking the rules.</param>
    /// <param name="Flag">A self-reported metric that disagrees with the trusted one.</param>
    private sealed record Scored(double? Metric, string? Failure, bool Violation, string? Flag)
    {
        /// <summary>The run's output with the trusted metric in place of the self-reported one, which is kept as <c>self_reported_METRIC</c>.</summary>
        public RunOutput Output(RunOutput training, string metric)
        {
            var metrics = new Dictionary<string, double>(training.Metrics, StringComparer.Ordinal);
            metrics.Remove(metric);
            if (training.Metric is { } self)
            {
                metrics[$"self_reported_{metric}"] = self;
            }

            if (Metric is { } value)
            {
                metrics[metric] = value;
            }

            return training with { Metric = Metric, Metrics = metrics };
        }
    }

    /// <summary>Where a sandboxed .NET (or Python, or anything) finds a writable home: a folder in the run directory.</summary>
    private static void SandboxEnvironment(Dictionary<string, string?> environment, string runDirectory)
    {
        var home = Path.Combine(Path.GetFullPath(runDirectory), "home");
        Directory.CreateDirectory(home);
        var realHome = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        environment["HOME"] = home;
        environment["DOTNET_CLI_HOME"] = home;
        environment["TMPDIR"] = "/tmp";
        environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        environment["DOTNET_NOLOGO"] = "1";
        environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // In a fresh HOME the SDK otherwise warns that it cannot verify workloads, on every run.
        environment["DOTNET_SKIP_WORKLOAD_INTEGRITY_CHECK"] = "1";
        // The package cache and data caches stay where they are, read-only: no download is possible anyway.
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(realHome, ".nuget", "packages");
        if (Directory.Exists(packages))
        {
            environment["NUGET_PACKAGES"] = packages;
        }

        environment["XDG_CACHE_HOME"] = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg : Path.Combine(realHome, ".cache");
    }

    /// <summary>
    /// The tool's own folders that a sandboxed run needs and that the sandbox's private <c>/tmp</c> would hide when they live
    /// there (a tool installed under <c>/tmp</c>, a checkout there): the trusted libraries (<c>AUTORESEARCH_LIB</c>), the .NET
    /// installation that runs <c>dotnet</c>, and the NuGet package folder. Bound read-only, wherever they are.
    /// </summary>
    private List<string> ToolBinds()
    {
        string? Variable(string name) =>
            _environment.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name);
        var binds = new List<string>();
        foreach (var path in new[] { Variable("AUTORESEARCH_LIB"), Variable("DOTNET_ROOT"), Variable("NUGET_PACKAGES") })
        {
            if (!string.IsNullOrEmpty(path) && Path.IsPathRooted(path) && Directory.Exists(path))
            {
                binds.Add(Path.GetFullPath(path));
            }
        }

        // The dotnet on PATH, through its symbolic links, to its installation folder.
        var dotnet = (Variable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "dotnet")).FirstOrDefault(File.Exists);
        if (dotnet is not null && new FileInfo(dotnet).ResolveLinkTarget(returnFinalTarget: true)?.FullName is { } target)
        {
            binds.Add(Path.GetDirectoryName(target)!);
        }
        else if (dotnet is not null)
        {
            binds.Add(Path.GetDirectoryName(Path.GetFullPath(dotnet))!);
        }

        return binds.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>What training never sees: the harness's state (ledger, other runs), the scored corpus, and <c>[score] hidden</c>.</summary>
    private List<string> HiddenFromTraining(string worktree, TrustedData? data)
    {
        var hidden = new List<string> { Path.Combine(_spec.Root, ".autoresearch"), Records.LedgerKey.DefaultDirectory };
        if (data is not null)
        {
            hidden.Add(data.Source);
        }

        hidden.AddRange(_spec.Score.Hidden.Select(h => Path.IsPathRooted(h) ? h : Path.Combine(worktree, h)));
        return hidden;
    }

    private async Task<Scored> ScoreAsync(
        string worktree,
        string runDirectory,
        Dictionary<string, string?> trainingEnvironment,
        TrustedData? data,
        SlotResources? slot,
        RunOutput training,
        string logPath,
        long experiment,
        Action<string, string?>? onJob,
        CancellationToken cancellationToken)
    {
        var score = _spec.Score;
        var environment = new Dictionary<string, string?>(trainingEnvironment)
        {
            ["AUTORESEARCH_DATA"] = null,
            ["AUTORESEARCH_SPLIT"] = null,
            ["AUTORESEARCH_SERVE_LOGPROBS"] = score.Serve is null ? null : trainingEnvironment["AUTORESEARCH_CHECKPOINT"],
        };
        var sandboxed = _spec.Run.Sandbox.Kind == SandboxKind.Bwrap;
        var hidden = new List<string> { Path.Combine(_spec.Root, ".autoresearch"), Records.LedgerKey.DefaultDirectory };
        if (data is not null)
        {
            hidden.Add(data.Source);
        }

        var clock = Stopwatch.StartNew();
        double? metric;
        string? failure;
        var violation = false;
        string summary;
        if (score.Serve is { } serve)
        {
            // Two servers at once: each gets half the cores.
            var threads = int.TryParse(environment.GetValueOrDefault("AUTORESEARCH_THREADS"), CultureInfo.InvariantCulture, out var t) ? t : Environment.ProcessorCount;
            environment["AUTORESEARCH_THREADS"] = Math.Max(1, threads / 2).ToString(CultureInfo.InvariantCulture);
            // Nothing writable: the two servers cannot leave each other notes.
            var mounts = new SandboxMounts(worktree, [], [worktree, runDirectory, .. ToolBinds()], hidden);
            var sandboxes = new List<Sandbox>();
            try
            {
                // Under Slurm each server is a job step of its own through srun, which forwards stdin and stdout.
                var launcher = OnSlurm ? SlurmJob.Srun(_spec.Slurm, _spec.Root, experiment, _spec.Run.Timeout) : null;
                var result = await LogProbScorer.ScoreAsync(data!.Holdout, score.CausalityProbes, index =>
                {
                    var sandbox = sandboxed ? Sandbox.Prepare(_spec.Run.Sandbox, mounts, _spec.Run.Timeout, localLimits: !OnSlurm) : null;
                    if (sandbox is not null)
                    {
                        sandboxes.Add(sandbox);
                    }

                    var log = Path.Combine(runDirectory, $"score-{index + 1}.log");
                    return ProcessGroup.Start(serve, worktree, log, environment, null, slot?.Cpus, sandbox, interactive: true, header: sandbox?.Description, launcher: launcher);
                }, _spec.Run.Timeout, cancellationToken).ConfigureAwait(false);
                (metric, failure, violation) = (result.Bits, result.Failure, result.Violation);
                summary = string.Create(CultureInfo.InvariantCulture,
                    $"{result.Windows} windows, {result.Probes} causality probes, servers up in {result.Startup.TotalSeconds:F2} s");
            }
            finally
            {
                foreach (var sandbox in sandboxes)
                {
                    sandbox.Dispose();
                }

                if (OnSlurm)
                {
                    // An srun killed with its server may leave its allocation behind for a while: none outlives scoring.
                    await SlurmJob.CancelAllAsync(SlurmClient.Default, _spec.Slurm, _spec.Root, experiment).ConfigureAwait(false);
                }
            }
        }
        else
        {
            (metric, failure, summary) = await EvaluateAsync(score.Command!, worktree, runDirectory, environment, slot, experiment, onJob, cancellationToken).ConfigureAwait(false);
        }

        var name = _spec.Objective.Metric;
        var lines = new List<string>();
        string? flag = null;
        if (metric is { } value)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"[autoresearch] trusted {name}: {value:F6} ({summary}, {clock.Elapsed.TotalSeconds:F2} s)"));
            if (training.Metric is { } self && !(Math.Abs(self - value) <= score.Tolerance))
            {
                flag = string.Create(CultureInfo.InvariantCulture,
                    $"self-reported {name} {self:G6} disagrees with the trusted {value:F6} (tolerance {score.Tolerance:G3}); the trusted score counts");
                lines.Add($"[autoresearch] FLAG: {flag}");
            }
        }
        else
        {
            lines.Add($"[autoresearch] trusted scoring failed: {failure}");
        }

        await File.AppendAllLinesAsync(logPath, lines, CancellationToken.None).ConfigureAwait(false);
        return new Scored(metric, metric is null ? $"trusted scoring: {failure}" : null, violation, flag);
    }

    /// <summary><c>[score] command</c>: a separate evaluation that prints the metric; it sees the hidden paths, read-only.</summary>
    private async Task<(double? Metric, string? Failure, string Summary)> EvaluateAsync(
        string command,
        string worktree,
        string runDirectory,
        Dictionary<string, string?> environment,
        SlotResources? slot,
        long experiment,
        Action<string, string?>? onJob,
        CancellationToken cancellationToken)
    {
        var log = Path.Combine(runDirectory, "score.log");
        var sandboxed = _spec.Run.Sandbox.Kind == SandboxKind.Bwrap;
        var mounts = new SandboxMounts(worktree, [runDirectory], [worktree, .. ToolBinds()], [Path.Combine(_spec.Root, ".autoresearch"), Records.LedgerKey.DefaultDirectory]);
        using var sandbox = sandboxed ? Sandbox.Prepare(_spec.Run.Sandbox, mounts, _spec.Run.Timeout, localLimits: !OnSlurm) : null;
        var outcome = await ExecuteAsync(command, worktree, log, environment, null, slot, sandbox, sandbox?.Description, experiment, onJob, null, cancellationToken)
            .ConfigureAwait(false);

        cancellationToken.ThrowIfCancellationRequested();
        var text = await File.ReadAllTextAsync(log, CancellationToken.None).ConfigureAwait(false);
        var lastLine = Tail(text, 1);
        if (outcome.TimedOut || outcome.ExitCode != 0)
        {
            var how = outcome.TimedOut ? "timed out" : outcome.Failure ?? $"exited with code {outcome.ExitCode}";
            return (null, $"`{command}` {how}; see {log} (last line: {lastLine})", "");
        }

        var parsed = RunOutput.Parse(text, _spec.Objective, _spec.Run.Progress);
        return parsed.Metric is { } m && double.IsFinite(m)
            ? (m, null, $"`{command}`")
            : (null, $"`{command}` printed no finite {_spec.Objective.Metric}; see {log} (last line: {lastLine})", "");
    }
}
