using System.Text.RegularExpressions;
using Microsoft.Extensions.FileSystemGlobbing;

namespace AutoResearch.Core.Spec;

/// <summary>The <c>[run]</c> section: how an experiment is run.</summary>
/// <param name="Command">A shell command (run by <c>bash -c</c>) in the experiment's worktree.</param>
/// <param name="Setup">An optional shell command run once per workspace before the baseline (e.g. data preparation).</param>
/// <param name="Timeout">The hard limit on one run; the whole process group is killed past it.</param>
/// <param name="Progress">A regex with <c>progress</c> (percent) and <c>value</c> groups for the learning curve.</param>
/// <param name="Seed">The seed passed as <c>AUTORESEARCH_SEED</c> (and put in place of <c>{seed}</c> in the command); default 42.
/// Repeated runs of one code (baseline repeats, confirmations) use <c>Seed</c>, <c>Seed + 1</c>, ...</param>
public sealed record RunSpec(string Command, string? Setup, TimeSpan Timeout, Regex Progress, int Seed)
{
    /// <summary>
    /// <c>gpus</c>: the GPU device ids experiments may use (<c>gpus = 2</c> means 0 and 1, or a list <c>gpus = [0, 3]</c>).
    /// With <c>--parallel N</c>, slot i gets <c>CUDA_VISIBLE_DEVICES</c> = the i-th id. Empty: no GPUs (slots share the cores).
    /// </summary>
    public IReadOnlyList<string> Gpus { get; init; } = [];

    /// <summary><c>executor</c>: where runs execute, <c>"local"</c> (default) or <c>"slurm"</c> (a job each, see <see cref="SlurmSpec"/>).</summary>
    public ExecutorKind Executor { get; init; } = ExecutorKind.Local;

    /// <summary><c>sandbox</c> and the <c>[limits]</c> section: how the command is isolated; default none.</summary>
    public SandboxSpec Sandbox { get; init; } = SandboxSpec.None;

    /// <summary>
    /// <c>outputs</c>: globs (relative to the workspace root, e.g. <c>out*/**</c>) of what runs write into the worktree:
    /// checkpoints, logs, caches. Such files are never part of a proposal (deleted before its commit, whoever wrote them),
    /// never kept as prepared inputs, and not reported as uncommitted data at start. Python's bytecode caches
    /// (<see cref="BuiltInOutputs"/>) always count.
    /// </summary>
    public IReadOnlyList<string> Outputs { get; init; } = [];

    /// <summary>
    /// <c>inputs</c>: globs (relative to the workspace root, e.g. <c>data/**/*.bin</c>) of files in the user's checkout that
    /// git ignores and the runs read: prepared data that is not committed. Each is copied into every experiment's worktree,
    /// kept through every clean checkout, and read-only: a run that changes one is a crash, and the copy is put back.
    /// </summary>
    public IReadOnlyList<string> Inputs { get; init; } = [];

    /// <summary>Run products every workspace has, whatever <see cref="Outputs"/> says: Python's bytecode caches.</summary>
    public static IReadOnlyList<string> BuiltInOutputs { get; } = ["**/__pycache__/**", "**/*.pyc"];

    /// <summary>The placeholder in <see cref="Command"/> that each run replaces with its seed.</summary>
    public const string SeedPlaceholder = "{seed}";

    /// <summary>True when <paramref name="relativePath"/> (forward slashes, relative to the root) is a run product.</summary>
    public bool IsOutput(string relativePath) => Matches(BuiltInOutputs.Concat(Outputs), relativePath);

    /// <summary>True when <paramref name="relativePath"/> (forward slashes, relative to the root) matches a glob of <see cref="Inputs"/>.</summary>
    public bool IsInput(string relativePath) => Matches(Inputs, relativePath);

    /// <summary>True when <paramref name="relativePath"/> matches one of <paramref name="globs"/>.</summary>
    internal static bool Matches(IEnumerable<string> globs, string relativePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(relativePath);
        var matcher = new Matcher(StringComparison.Ordinal);
        foreach (var glob in globs)
        {
            matcher.AddInclude(glob);
        }

        return matcher.Match(relativePath.Replace('\\', '/')).HasMatches;
    }

    /// <summary><paramref name="command"/> with every <c>{seed}</c> replaced by <paramref name="seed"/>.</summary>
    public static string WithSeed(string command, int seed)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command.Replace(SeedPlaceholder, seed.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    /// <summary>The default progress line: <c>progress: 12.5% loss: 3.21</c>.</summary>
    public static Regex DefaultProgress { get; } = new(
        $@"^\s*progress:\s*(?<progress>{ObjectiveSpec.NumberPattern})\s*%\s+loss:\s*(?<value>{ObjectiveSpec.NumberPattern})",
        RegexOptions.Multiline | RegexOptions.CultureInvariant);

    /// <summary>The default timeout when the spec gives none: 600 s.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(600);
}
