using System.Globalization;
using System.Text.RegularExpressions;
using Tomlyn;
using Tomlyn.Model;

namespace AutoResearch.Core.Spec;

/// <summary>
/// Reads a workspace's spec: <c>autoresearch.toml</c> when present, otherwise a karpathy/autoresearch
/// layout (<c>train.py</c> and <c>prepare.py</c>) recognised as is. Every problem is collected and reported
/// together in one <see cref="SpecException"/>, each naming its key.
/// </summary>
public static partial class SpecLoader
{
    /// <summary>Sections that later features read; accepted here so a spec written for them still loads.</summary>
    private static readonly HashSet<string> s_laterSections =
        ["search", "swarm", "dashboard"];

    private static readonly Dictionary<string, string[]> s_knownKeys = new()
    {
        ["objective"] = ["metric", "direction", "pattern", "memory_metric"],
        ["run"] = ["command", "setup", "timeout_seconds", "progress", "seed", "gpus", "sandbox", "outputs", "inputs", "executor"],
        ["scope"] = ["editable"],
        ["acceptance"] = ["baseline_repeats", "min_delta", "z", "confirm", "confirm_runs", "simplicity", "sigma", "max_cost_ratio"],
        ["early_stop"] = ["enabled", "min_fraction", "z", "min_delta", "min_points"],
        ["notify"] = ["webhook", "topic", "crash_streak"],
        ["limits"] = ["memory_mb", "processes", "file_size_mb", "address_space_mb", "cpu_seconds"],
        ["score"] = ["mode", "serve", "command", "data", "holdout_fraction", "tolerance", "causality_probes", "hidden"],
        ["cost"] = ["measure", "drift_factor", "search_weight", "tokens", "iterations", "params"],
        ["report"] = ["progress_png"],
        ["slurm"] = ["partition", "account", "gres", "cpus", "memory_mb", "sbatch_args", "shared_dir", "poll_seconds", "retries", "job_name"],
    };


    /// <summary>Loads and validates the spec of the workspace rooted at <paramref name="root"/>.</summary>
    /// <exception cref="SpecException">The spec is missing, malformed or invalid; every problem is listed.</exception>
    public static ResearchSpec Load(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        root = Path.GetFullPath(root);
        var tomlPath = Path.Combine(root, ResearchSpec.FileName);
        if (File.Exists(tomlPath))
        {
            return FromToml(root, tomlPath, File.ReadAllText(tomlPath));
        }

        if (File.Exists(Path.Combine(root, "train.py")) && File.Exists(Path.Combine(root, "prepare.py")))
        {
            return Karpathy(root);
        }

        throw new SpecException(root, [
            $"no {ResearchSpec.FileName} here, and not a karpathy/autoresearch layout (train.py + prepare.py); " +
            $"run `{ToolCommand.Of($"init {root}")}` to create one"]);
    }

    /// <summary>The spec of a karpathy/autoresearch layout: train.py editable, <c>uv run train.py</c>, val_bpb minimised.</summary>
    public static ResearchSpec Karpathy(string root) => new()
    {
        Root = root,
        Source = "karpathy/autoresearch layout (train.py, prepare.py)",
        Objective = new ObjectiveSpec("val_bpb", Direction.Minimize, ObjectiveSpec.DefaultPattern("val_bpb")),
        Run = new RunSpec("uv run train.py", null, TimeSpan.FromSeconds(600), RunSpec.DefaultProgress, 42),
        Scope = new EditableScope(["train.py"]),
        Agent = AgentSpec.Empty,
        MemoryMetric = "peak_vram_mb",
        ProgramFile = File.Exists(Path.Combine(root, "program.md")) ? "program.md" : null,
    };

    /// <summary>Parses and validates spec text; <paramref name="path"/> names it in messages.</summary>
    public static ResearchSpec FromToml(string root, string path, string text)
    {
        TomlTable model;
        try
        {
            model = TomlSerializer.Deserialize<TomlTable>(text) ?? new TomlTable();
        }
        catch (TomlException e)
        {
            // Tomlyn reports position and reason; that is all the user needs to fix it.
            throw new SpecException(path, [$"not valid TOML: {e.Message.Trim()}"]);
        }

        var problems = new List<string>();
        var extra = new Dictionary<string, IReadOnlyDictionary<string, object>>();
        foreach (var (key, value) in model)
        {
            if (s_knownKeys.ContainsKey(key) || key == "agent")
            {
                // [acceptance] and [early_stop] are optional; the others are checked for presence below.
                if (value is not TomlTable)
                {
                    problems.Add($"[{key}] must be a table");
                }
            }
            else if (s_laterSections.Contains(key) && value is TomlTable table)
            {
                extra[key] = table.ToDictionary(kv => kv.Key, kv => kv.Value);
            }
            else
            {
                problems.Add($"unknown section or key `{key}` (known: objective, run, scope, agent, acceptance, early_stop, notify, limits, score, cost, report, slurm, {string.Join(", ", s_laterSections)})");
            }
        }

        var objective = Section(model, "objective", problems);
        var run = Section(model, "run", problems);
        var scope = Section(model, "scope", problems);
        var acceptanceTable = OptionalSection(model, "acceptance");
        var earlyStopTable = OptionalSection(model, "early_stop");
        var notifyTable = OptionalSection(model, "notify");
        var limitsTable = OptionalSection(model, "limits");
        var scoreTable = OptionalSection(model, "score");
        var costTable = OptionalSection(model, "cost");
        var reportTable = OptionalSection(model, "report");
        var slurmTable = OptionalSection(model, "slurm");
        var agent = model.TryGetValue("agent", out var a) && a is TomlTable at ? at : new TomlTable();

        var metric = RequiredString(objective, "objective", "metric", problems);
        if (metric is not null && !Regex.IsMatch(metric, "^[A-Za-z_][A-Za-z0-9_.]*$"))
        {
            problems.Add($"[objective] metric = \"{metric}\" must be a name of letters, digits, '_' and '.'");
            metric = null;
        }

        var direction = Direction.Minimize;
        var directionText = OptionalString(objective, "objective", "direction", problems);
        if (directionText is null)
        {
            problems.Add("[objective] direction is missing: \"minimize\" or \"maximize\"");
        }
        else if (directionText is "minimize" or "maximize")
        {
            direction = directionText == "minimize" ? Direction.Minimize : Direction.Maximize;
        }
        else
        {
            problems.Add($"[objective] direction = \"{directionText}\" must be \"minimize\" or \"maximize\"");
        }

        var pattern = OptionalRegex(objective, "objective", "pattern", ["value"], problems);
        var memoryMetric = OptionalString(objective, "objective", "memory_metric", problems);

        var command = RequiredString(run, "run", "command", problems);
        var setup = OptionalString(run, "run", "setup", problems);
        var timeout = OptionalSeconds(run, "run", "timeout_seconds", problems) ?? RunSpec.DefaultTimeout;
        var progress = OptionalRegex(run, "run", "progress", ["progress", "value"], problems) ?? RunSpec.DefaultProgress;
        var seed = 42;
        if (run.TryGetValue("seed", out var seedValue))
        {
            if (seedValue is long s && s is >= 0 and <= int.MaxValue)
            {
                seed = (int)s;
            }
            else
            {
                problems.Add($"[run] seed = {Show(seedValue)} must be a non-negative integer");
            }
        }

        var outputs = OptionalPaths(run, "run", "outputs", "out*/**", problems);
        var inputs = OptionalPaths(run, "run", "inputs", "data/**/*.bin", problems);
        var gpus = new List<string>();
        if (run.TryGetValue("gpus", out var gpusValue))
        {
            if (gpusValue is long count && count is >= 0 and <= 64)
            {
                gpus.AddRange(Enumerable.Range(0, (int)count).Select(i => i.ToString(CultureInfo.InvariantCulture)));
            }
            else if (gpusValue is TomlArray ids && ids.All(x => x is long l && l >= 0 || x is string { Length: > 0 }))
            {
                gpus.AddRange(ids.Select(x => Convert.ToString(x, CultureInfo.InvariantCulture)!));
            }
            else
            {
                problems.Add($"[run] gpus = {Show(gpusValue)} must be a count (gpus = 2) or a list of device ids (gpus = [0, 3])");
            }
        }

        var defaultAcceptance = AcceptanceSpec.Default;
        var acceptance = new AcceptanceSpec
        {
            BaselineRepeats = OptionalInteger(acceptanceTable, "acceptance", "baseline_repeats", 1, 20, problems) ?? defaultAcceptance.BaselineRepeats,
            MinDelta = OptionalNumber(acceptanceTable, "acceptance", "min_delta", v => v >= 0, "0 or more", problems) ?? defaultAcceptance.MinDelta,
            Z = OptionalNumber(acceptanceTable, "acceptance", "z", v => v is > 0 and <= 100, "above 0 (e.g. 2)", problems) ?? defaultAcceptance.Z,
            Confirm = OptionalBool(acceptanceTable, "acceptance", "confirm", problems) ?? defaultAcceptance.Confirm,
            ConfirmRuns = OptionalInteger(acceptanceTable, "acceptance", "confirm_runs", 1, 10, problems) ?? defaultAcceptance.ConfirmRuns,
            Simplicity = OptionalBool(acceptanceTable, "acceptance", "simplicity", problems) ?? defaultAcceptance.Simplicity,
            Sigma = OptionalNumber(acceptanceTable, "acceptance", "sigma", v => v >= 0, "0 or more", problems),
            MaxCostRatio = OptionalNumber(acceptanceTable, "acceptance", "max_cost_ratio", v => v >= 1, "of 1 or more (e.g. 1.5)", problems),
        };
        var defaultEarlyStop = EarlyStopSpec.Default;
        var earlyStop = new EarlyStopSpec
        {
            Enabled = OptionalBool(earlyStopTable, "early_stop", "enabled", problems) ?? defaultEarlyStop.Enabled,
            MinFraction = OptionalNumber(earlyStopTable, "early_stop", "min_fraction", v => v is > 0 and < 1, "between 0 and 1 (e.g. 0.3)", problems) ?? defaultEarlyStop.MinFraction,
            Z = OptionalNumber(earlyStopTable, "early_stop", "z", v => v is > 0 and <= 100, "above 0 (e.g. 3)", problems) ?? defaultEarlyStop.Z,
            MinDelta = OptionalNumber(earlyStopTable, "early_stop", "min_delta", v => v >= 0, "0 or more", problems) ?? defaultEarlyStop.MinDelta,
            MinPoints = OptionalInteger(earlyStopTable, "early_stop", "min_points", 1, 1000, problems) ?? defaultEarlyStop.MinPoints,
        };

        var notify = Notify(notifyTable, problems);
        var sandbox = Sandbox(run, limitsTable, problems);
        var executor = ParseExecutor(run, problems);
        var slurm = ParseSlurm(slurmTable, executor, root, problems);
        if (executor == ExecutorKind.Slurm && gpus.Count > 0)
        {
            problems.Add("[run] gpus is for local runs; with executor = \"slurm\" each slot's job gets its GPUs from [slurm] gres (e.g. gres = \"gpu:1\")");
        }
        var score = Score(scoreTable, problems);

        var editable = new List<string>();
        if (!scope.TryGetValue("editable", out var editableValue))
        {
            problems.Add("[scope] editable is missing: a list of globs, e.g. editable = [\"train.py\"]");
        }
        else if (editableValue is TomlArray array && array.Count > 0 && array.All(x => x is string s && s.Length > 0))
        {
            editable.AddRange(array.Cast<string>());
        }
        else
        {
            problems.Add($"[scope] editable = {Show(editableValue)} must be a non-empty list of globs, e.g. [\"train.py\"]");
        }

        var agentKind = OptionalString(agent, "agent", "kind", problems);
        var agentCommand = OptionalString(agent, "agent", "command", problems);
        var agentTimeout = OptionalSeconds(agent, "agent", "timeout_seconds", problems) ?? AgentSpec.DefaultTimeout;
        var settings = agent.Where(kv => kv.Key is not ("kind" or "command" or "timeout_seconds" or "sandbox" or "network" or "writable" or "max_change_mb"))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var agentSandbox = OptionalChoice(agent, "agent", "sandbox", ["bwrap", "none"], problems);
        var agentWritable = OptionalPaths(agent, "agent", "writable", "~/.config/my-agent", problems);

        var agentSpec = new AgentSpec(agentKind, agentCommand, agentTimeout, settings)
        {
            Provider = OptionalChoice(agent, "agent", "provider", ["openai", "anthropic"], problems),
            Model = OptionalString(agent, "agent", "model", problems),
            BaseUrl = OptionalUrl(agent, "agent", "base_url", problems),
            ApiKeyEnv = OptionalString(agent, "agent", "api_key_env", problems),
            MaxToolCalls = OptionalInteger(agent, "agent", "max_tool_calls", 1, 10_000, problems),
            MaxTokens = OptionalInteger(agent, "agent", "max_tokens", 1_000, int.MaxValue, problems),
            Sandbox = agentSandbox == "none" ? SandboxKind.None : SandboxKind.Bwrap,
            SandboxExplicit = agentSandbox is not null,
            Network = OptionalBool(agent, "agent", "network", problems) ?? true,
            Writable = agentWritable,
            MaxChangeMb = OptionalInteger(agent, "agent", "max_change_mb", 1, 1_000_000, problems) ?? 10,
        };
        if (agentKind is not (null or "search" or "llm" or "cli"))
        {
            problems.Add($"[agent] kind = \"{agentKind}\" must be \"search\", \"llm\" or \"cli\"");
        }

        var costSpec = ParseCost(costTable, problems);
        var reportSpec = new ReportSpec { ProgressPng = OptionalBool(reportTable, "report", "progress_png", problems) ?? ReportSpec.Default.ProgressPng };
        foreach (var (section, keys) in s_knownKeys)
        {
            var table = section switch
            {
                "objective" => objective,
                "run" => run,
                "acceptance" => acceptanceTable,
                "early_stop" => earlyStopTable,
                "notify" => notifyTable,
                "limits" => limitsTable,
                "score" => scoreTable,
                "cost" => costTable,
                "report" => reportTable,
                "slurm" => slurmTable,
                _ => scope,
            };
            foreach (var key in table.Keys.Where(k => !keys.Contains(k)))
            {
                problems.Add($"unknown key [{section}] {key} (known: {string.Join(", ", keys)})");
            }
        }

        if (problems.Count > 0)
        {
            throw new SpecException(path, problems);
        }

        return new ResearchSpec
        {
            Root = root,
            Source = path,
            Objective = new ObjectiveSpec(metric!, direction, pattern ?? ObjectiveSpec.DefaultPattern(metric!)),
            Run = new RunSpec(command!, setup, timeout, progress, seed) { Gpus = gpus, Sandbox = sandbox, Outputs = outputs, Inputs = inputs, Executor = executor },
            Scope = new EditableScope(editable),
            Agent = agentSpec,
            MemoryMetric = memoryMetric,
            ProgramFile = File.Exists(Path.Combine(root, "program.md")) ? "program.md" : null,
            Acceptance = acceptance,
            EarlyStop = earlyStop,
            Notify = notify,
            Score = score,
            Cost = costSpec,
            Report = reportSpec,
            Slurm = slurm,
            Extra = extra,
        };
    }

    /// <summary>A list of non-empty paths, or an empty list when the key is absent.</summary>
    private static List<string> OptionalPaths(TomlTable table, string section, string key, string example, List<string> problems)
    {
        if (!table.TryGetValue(key, out var value))
        {
            return [];
        }

        if (value is TomlArray array && array.All(x => x is string { Length: > 0 }))
        {
            return [.. array.Cast<string>()];
        }

        problems.Add($"[{section}] {key} = {Show(value)} must be a list of paths, e.g. [\"{example}\"]");
        return [];
    }

    private static string? OptionalChoice(TomlTable table, string section, string key, string[] choices, List<string> problems)
    {
        var value = OptionalString(table, section, key, problems);
        if (value is null || choices.Contains(value))
        {
            return value;
        }

        problems.Add($"[{section}] {key} = \"{value}\" must be one of {string.Join(", ", choices.Select(c => $"\"{c}\""))}");
        return null;
    }

    private static Uri? OptionalUrl(TomlTable table, string section, string key, List<string> problems)
    {
        var value = OptionalString(table, section, key, problems);
        if (value is null)
        {
            return null;
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https")
        {
            return url;
        }

        problems.Add($"[{section}] {key} = \"{value}\" must be an http(s) URL, e.g. \"http://localhost:11434/v1\"");
        return null;
    }

    private static NotifySpec Notify(TomlTable table, List<string> problems)
    {
        var text = OptionalString(table, "notify", "webhook", problems);
        Uri? webhook = null;
        if (text is not null)
        {
            if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            {
                webhook = uri;
            }
            else
            {
                problems.Add($"[notify] webhook = \"{text}\" must be an http(s) URL, e.g. \"https://hooks.slack.com/services/...\" or \"https://ntfy.sh\"");
            }
        }

        var topic = OptionalString(table, "notify", "topic", problems);
        if (topic is not null && !Regex.IsMatch(topic, "^[A-Za-z0-9_-]{1,64}$"))
        {
            problems.Add($"[notify] topic = \"{topic}\" must be 1 to 64 letters, digits, '_' or '-' (an ntfy topic)");
            topic = null;
        }

        if (webhook is null && table.Count > 0 && text is null)
        {
            problems.Add("[notify] needs webhook = \"URL\"");
        }

        return new NotifySpec
        {
            Webhook = webhook,
            Topic = topic,
            CrashStreak = OptionalInteger(table, "notify", "crash_streak", 1, 1000, problems) ?? 3,
        };
    }

    private static SandboxSpec Sandbox(TomlTable run, TomlTable limits, List<string> problems)
    {
        var kind = OptionalString(run, "run", "sandbox", problems) switch
        {
            null or "none" => SandboxKind.None,
            "bwrap" => SandboxKind.Bwrap,
            var other => Invalid(other),
        };
        var defaults = SandboxSpec.None;
        return new SandboxSpec
        {
            Kind = kind,
            MemoryMb = OptionalInteger(limits, "limits", "memory_mb", 0, int.MaxValue, problems) ?? defaults.MemoryMb,
            Processes = OptionalInteger(limits, "limits", "processes", 1, 1 << 22, problems) ?? defaults.Processes,
            FileSizeMb = OptionalInteger(limits, "limits", "file_size_mb", 1, int.MaxValue, problems) ?? defaults.FileSizeMb,
            AddressSpaceMb = OptionalInteger(limits, "limits", "address_space_mb", 0, int.MaxValue, problems) ?? defaults.AddressSpaceMb,
            CpuSeconds = OptionalInteger(limits, "limits", "cpu_seconds", 1, int.MaxValue, problems),
        };

        SandboxKind Invalid(string value)
        {
            problems.Add($"[run] sandbox = \"{value}\" must be \"none\" or \"bwrap\"");
            return SandboxKind.None;
        }
    }

    private static ScoreSpec Score(TomlTable table, List<string> problems)
    {
        var defaults = ScoreSpec.Default;
        var mode = OptionalString(table, "score", "mode", problems) switch
        {
            null or "self-reported" => ScoreMode.SelfReported,
            "trusted" => ScoreMode.Trusted,
            var other => InvalidMode(other),
        };
        var hidden = OptionalPaths(table, "score", "hidden", "data/test.csv", problems);

        var score = new ScoreSpec
        {
            Mode = mode,
            Serve = OptionalString(table, "score", "serve", problems),
            Command = OptionalString(table, "score", "command", problems),
            Data = OptionalString(table, "score", "data", problems),
            HoldoutFraction = OptionalNumber(table, "score", "holdout_fraction", v => v is > 0 and < 1, "between 0 and 1 (e.g. 0.1)", problems)
                ?? defaults.HoldoutFraction,
            Tolerance = OptionalNumber(table, "score", "tolerance", v => v >= 0, "0 or more", problems) ?? defaults.Tolerance,
            CausalityProbes = OptionalInteger(table, "score", "causality_probes", 0, 10_000, problems) ?? defaults.CausalityProbes,
            Hidden = hidden,
        };
        if (mode == ScoreMode.Trusted && (score.Serve is null) == (score.Command is null))
        {
            problems.Add("[score] mode = \"trusted\" needs exactly one of serve (a log-probability server, e.g. \"dotnet run train.cs -- --serve-logprobs\") " +
                "or command (a separate evaluation, e.g. \"python eval.py\")");
        }

        if (mode == ScoreMode.SelfReported && (score.Serve ?? score.Command) is not null)
        {
            problems.Add("[score] serve and command apply only with mode = \"trusted\"");
        }

        if (score.Serve is not null && score.Data is null)
        {
            problems.Add("[score] serve needs data: the corpus whose holdout is scored, e.g. data = \"${AUTORESEARCH_DATA}\"");
        }

        return score;

        ScoreMode InvalidMode(string value)
        {
            problems.Add($"[score] mode = \"{value}\" must be \"self-reported\" or \"trusted\"");
            return ScoreMode.SelfReported;
        }
    }

    private static TomlTable OptionalSection(TomlTable model, string name) =>
        model.TryGetValue(name, out var value) && value is TomlTable table ? table : new TomlTable();

    private static double? OptionalNumber(
        TomlTable table, string section, string key, Func<double, bool> valid, string requirement, List<string> problems)
    {
        if (!table.TryGetValue(key, out var value))
        {
            return null;
        }

        double? number = value switch { long l => l, double d => d, _ => null };
        if (number is { } n && double.IsFinite(n) && valid(n))
        {
            return n;
        }

        problems.Add($"[{section}] {key} = {Show(value)} must be a number {requirement}");
        return null;
    }

    private static int? OptionalInteger(TomlTable table, string section, string key, int low, int high, List<string> problems)
    {
        if (!table.TryGetValue(key, out var value))
        {
            return null;
        }

        if (value is long l && l >= low && l <= high)
        {
            return (int)l;
        }

        problems.Add($"[{section}] {key} = {Show(value)} must be a whole number from {low} to {high}");
        return null;
    }

    private static bool? OptionalBool(TomlTable table, string section, string key, List<string> problems)
    {
        if (!table.TryGetValue(key, out var value))
        {
            return null;
        }

        if (value is bool b)
        {
            return b;
        }

        problems.Add($"[{section}] {key} = {Show(value)} must be true or false");
        return null;
    }

    private static TomlTable Section(TomlTable model, string name, List<string> problems)
    {
        if (model.TryGetValue(name, out var value) && value is TomlTable table)
        {
            return table;
        }

        if (value is null)
        {
            problems.Add($"[{name}] section is missing");
        }

        return new TomlTable();
    }

    private static string? RequiredString(TomlTable table, string section, string key, List<string> problems)
    {
        if (!table.ContainsKey(key))
        {
            problems.Add($"[{section}] {key} is missing");
            return null;
        }

        var value = OptionalString(table, section, key, problems);
        if (value is not null && value.Trim().Length == 0)
        {
            problems.Add($"[{section}] {key} is empty");
            return null;
        }

        return value;
    }

    private static string? OptionalString(TomlTable table, string section, string key, List<string> problems)
    {
        if (!table.TryGetValue(key, out var value))
        {
            return null;
        }

        if (value is string s)
        {
            return s;
        }

        problems.Add($"[{section}] {key} = {Show(value)} must be a string");
        return null;
    }

    private static TimeSpan? OptionalSeconds(TomlTable table, string section, string key, List<string> problems)
    {
        if (!table.TryGetValue(key, out var value))
        {
            return null;
        }

        double? seconds = value switch { long l => l, double d => d, _ => null };
        if (seconds is > 0 and < 1e7)
        {
            return TimeSpan.FromSeconds(seconds.Value);
        }

        problems.Add($"[{section}] {key} = {Show(value)} must be a positive number of seconds");
        return null;
    }

    private static Regex? OptionalRegex(TomlTable table, string section, string key, string[] groups, List<string> problems)
    {
        var text = OptionalString(table, section, key, problems);
        if (text is null)
        {
            return null;
        }

        Regex regex;
        try
        {
            regex = new Regex(text, RegexOptions.Multiline | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            // The regex constructor's only failure mode for a bad pattern.
            problems.Add($"[{section}] {key} is not a valid regex: {e.Message}");
            return null;
        }

        var missing = groups.Where(g => !regex.GetGroupNames().Contains(g)).ToList();
        if (missing.Count > 0)
        {
            problems.Add($"[{section}] {key} needs named group(s) {string.Join(", ", missing.Select(g => $"(?<{g}>...)"))}");
            return null;
        }

        return regex;
    }

    private static string Show(object? value) => value switch
    {
        null => "(nothing)",
        string s => $"\"{s}\"",
        TomlArray a => $"[{string.Join(", ", a.Select(Show))}]",
        TomlTable => "(a table)",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "?",
    };
}
