// Runs the tinygpt template for a time budget under self-reported and trusted scoring, without and with the sandbox,
// and prints one markdown row per run: the run's wall time, its training seconds, the cost of scoring, val_bpb.
// Usage: dotnet run -c Release -- DATA [SECONDS] [CONFIGS]   (CONFIGS: comma-separated of self:none, trusted:none, self:bwrap, trusted:bwrap)
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;

var data = Path.GetFullPath(args[0]);
var seconds = args.Length > 1 ? args[1] : "60";
var configs = (args.Length > 2 ? args[2] : "self:none,trusted:none,trusted:bwrap").Split(',');
var lib = AppContext.BaseDirectory.TrimEnd('/');
var template = FindTemplate();
var root = Path.Combine(Path.GetTempPath(), $"trusted-bench-{Guid.NewGuid():N}");
var worktree = Path.Combine(root, "workspace");
foreach (var file in Directory.GetFiles(template, "*", SearchOption.AllDirectories))
{
    var destination = Path.Combine(worktree, Path.GetRelativePath(template, file));
    Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
    File.WriteAllText(destination, File.ReadAllText(file).Replace("{{AUTORESEARCH_LIB}}", lib, StringComparison.Ordinal));
}

var trustedLine = new Regex(@"trusted val_bpb: (?<bpb>\S+) \((?<windows>\d+) windows, (?<probes>\d+) causality probes, servers up in (?<up>\S+) s, (?<s>\S+) s\)");
Console.WriteLine("| scoring | sandbox | run wall s | training s | scoring s (servers up) | scoring / run | val_bpb | steps | windows + probes |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
var c = CultureInfo.InvariantCulture;
foreach (var config in configs)
{
    var (mode, sandbox) = (config.Split(':')[0], config.Split(':')[1]);
    var spec = SpecLoader.Load(worktree);
    spec = mode == "self" ? spec with { Score = ScoreSpec.Default } : spec;
    spec = sandbox == "bwrap" ? spec.Sandboxed() : spec;
    var environment = new Dictionary<string, string?>
    {
        ["AUTORESEARCH_LIB"] = lib,
        ["AUTORESEARCH_DATA"] = data,
        ["AUTORESEARCH_TIME_BUDGET"] = seconds,
        ["AUTORESEARCH_THREADS"] = "2",
    };
    // A first, untimed run builds train.cs for this configuration (the sandbox builds into its run directory's HOME).
    var runDirectory = Path.Combine(root, $"run-{mode}-{sandbox}");
    var clock = Stopwatch.StartNew();
    var result = await new ExperimentRunner(spec, environment).RunAsync(worktree, runDirectory, 1, 42);
    var wall = clock.Elapsed.TotalSeconds;
    var log = File.ReadAllText(result.LogPath);
    var training = result.Output.Metrics.GetValueOrDefault("training_seconds");
    string scoring, share, windows;
    if (mode == "self")
    {
        // In-process evaluation: what the run spent after its budget (evaluation and summary), from its own figures.
        var total = result.Output.Metrics.GetValueOrDefault("total_seconds");
        scoring = string.Create(c, $"{total - training:F2} (in-process, incl. startup)");
        share = "";
        windows = "";
    }
    else
    {
        var m = trustedLine.Match(log);
        if (!m.Success)
        {
            Console.Error.WriteLine(log);
            return 1;
        }

        var s = double.Parse(m.Groups["s"].Value, c);
        scoring = string.Create(c, $"{s:F2} ({m.Groups["up"].Value})");
        share = string.Create(c, $"{100 * s / (wall - s):F1}%");
        windows = $"{m.Groups["windows"].Value} + {m.Groups["probes"].Value}";
    }

    Console.WriteLine(string.Create(c,
        $"| {mode} | {sandbox} | {wall:F1} | {training:F1} | {scoring} | {share} | {result.Metric:F4} | {result.Output.Metrics.GetValueOrDefault("num_steps")} | {windows} |"));
}

// What the sandbox costs dotnet run: an edited train.cs builds either way; the sandbox's HOME is the run directory's,
// so its first run builds from a cold cache, and later runs in the same run directory (repeats, scoring) reuse it.
Console.WriteLine();
Console.WriteLine("| build of train.cs | sandbox | run wall s (2 steps, self-reported) | before train.cs started s |");
Console.WriteLine("|---|---|---:|---:|");
var trainCs = Path.Combine(worktree, "train.cs");
foreach (var (label, sandbox, edit, directory) in new[]
{
    ("edited", "none", true, "build-none"), ("unchanged", "none", false, "build-none"),
    ("edited, new run directory", "bwrap", true, "build-bwrap-1"), ("unchanged, same run directory", "bwrap", false, "build-bwrap-1"),
    ("unchanged, new run directory", "bwrap", false, "build-bwrap-2"),
})
{
    if (edit)
    {
        File.AppendAllText(trainCs, $"// {Guid.NewGuid()}\n");
    }

    var spec = SpecLoader.Load(worktree) with { Score = ScoreSpec.Default };
    spec = sandbox == "bwrap" ? spec.Sandboxed() : spec;
    var environment = new Dictionary<string, string?>
    {
        ["AUTORESEARCH_LIB"] = lib,
        ["AUTORESEARCH_DATA"] = data,
        ["AUTORESEARCH_TOKEN_BUDGET"] = "4096",
        ["AUTORESEARCH_TIME_BUDGET"] = null,
        ["AUTORESEARCH_THREADS"] = "2",
    };
    var clock = Stopwatch.StartNew();
    var result = await new ExperimentRunner(spec, environment).RunAsync(worktree, Path.Combine(root, directory), 1, 42);
    // total_seconds counts from the start of the train.cs process: the rest is dotnet run's build check or build.
    var before = clock.Elapsed.TotalSeconds - result.Output.Metrics.GetValueOrDefault("total_seconds");
    Console.WriteLine(string.Create(c, $"| {label} | {sandbox} | {clock.Elapsed.TotalSeconds:F1}{(result.Metric is null ? " (failed)" : "")} | {before:F1} |"));
}

Directory.Delete(root, recursive: true);
return 0;

static string FindTemplate()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "templates", "tinygpt");
        if (File.Exists(Path.Combine(candidate, "train.cs")))
        {
            return candidate;
        }
    }

    throw new InvalidOperationException("templates/tinygpt not found");
}
