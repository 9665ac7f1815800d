using System.Text.RegularExpressions;

namespace AutoResearch.Core.Spec;

/// <summary>The <c>[run]</c> section: how an experiment is run.</summary>
/// <param name="Command">A shell command (run by <c>bash -c</c>) in the experiment's worktree.</param>
/// <param name="Setup">An optional shell command run once per workspace before the baseline (e.g. data preparation).</param>
/// <param name="Timeout">The hard limit on one run; the whole process group is killed past it.</param>
/// <param name="Progress">A regex with <c>progress</c> (percent) and <c>value</c> groups for the learning curve.</param>
/// <param name="Seed">The seed passed as <c>AUTORESEARCH_SEED</c>; default 42.</param>
public sealed record RunSpec(string Command, string? Setup, TimeSpan Timeout, Regex Progress, int Seed)
{
    /// <summary>
    /// <c>gpus</c>: the GPU device ids experiments may use (<c>gpus = 2</c> means 0 and 1, or a list <c>gpus = [0, 3]</c>).
    /// With <c>--parallel N</c>, slot i gets <c>CUDA_VISIBLE_DEVICES</c> = the i-th id. Empty: no GPUs (slots share the cores).
    /// </summary>
    public IReadOnlyList<string> Gpus { get; init; } = [];

    /// <summary><c>sandbox</c> and the <c>[limits]</c> section: how the command is isolated; default none.</summary>
    public SandboxSpec Sandbox { get; init; } = SandboxSpec.None;

    /// <summary>The default progress line: <c>progress: 12.5% loss: 3.21</c>.</summary>
    public static Regex DefaultProgress { get; } = new(
        $@"^\s*progress:\s*(?<progress>{ObjectiveSpec.NumberPattern})\s*%\s+loss:\s*(?<value>{ObjectiveSpec.NumberPattern})",
        RegexOptions.Multiline | RegexOptions.CultureInvariant);

    /// <summary>The default timeout when the spec gives none: 600 s.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(600);
}
