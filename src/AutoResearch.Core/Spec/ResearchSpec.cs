namespace AutoResearch.Core.Spec;

/// <summary>
/// Everything the harness needs to know about a workspace, read once from <c>autoresearch.toml</c>
/// (or recognised from a karpathy/autoresearch layout) and validated once by <see cref="SpecLoader"/>.
/// </summary>
public sealed record ResearchSpec
{
    /// <summary>The spec file's name in a workspace.</summary>
    public const string FileName = "autoresearch.toml";

    /// <summary>The workspace root (the git repository's top level).</summary>
    public required string Root { get; init; }

    /// <summary>Where the spec came from: the toml file, or a description of the recognised layout.</summary>
    public required string Source { get; init; }

    public required ObjectiveSpec Objective { get; init; }

    public required RunSpec Run { get; init; }

    public required EditableScope Scope { get; init; }

    public required AgentSpec Agent { get; init; }

    /// <summary>The metric that holds peak memory in MB, when the run prints one (<c>peak_vram_mb</c> for karpathy layouts).</summary>
    public string? MemoryMetric { get; init; }

    /// <summary>The instructions for agents (<c>program.md</c>), relative to the root, when present.</summary>
    public string? ProgramFile { get; init; }

    /// <summary>The <c>[acceptance]</c> section: when a change is a real improvement.</summary>
    public AcceptanceSpec Acceptance { get; init; } = AcceptanceSpec.Default;

    /// <summary>The <c>[early_stop]</c> section: when a run is stopped on its learning curve.</summary>
    public EarlyStopSpec EarlyStop { get; init; } = EarlyStopSpec.Default;

    /// <summary>The <c>[notify]</c> section: where to POST news of the run; <see cref="NotifySpec.None"/> without one.</summary>
    public NotifySpec Notify { get; init; } = NotifySpec.None;

    /// <summary>The <c>[score]</c> section: self-reported or trusted scoring, and what training may not see.</summary>
    public ScoreSpec Score { get; init; } = ScoreSpec.Default;

    /// <summary>The <c>[cost]</c> section: what an experiment's cost is and when its conditions drift from the baseline's.</summary>
    public CostSpec Cost { get; init; } = CostSpec.Default;

    /// <summary>The <c>[report]</c> section: files written for people (<c>progress.png</c>).</summary>
    public ReportSpec Report { get; init; } = ReportSpec.Default;

    /// <summary>The <c>[slurm]</c> section: the jobs' resources when <c>[run] executor = "slurm"</c>.</summary>
    public SlurmSpec Slurm { get; init; } = SlurmSpec.Default;

    /// <summary>
    /// This spec with its runs in bubblewrap (the <c>[limits]</c> kept): what swarm work uses whatever the workspace says.
    /// </summary>
    public ResearchSpec Sandboxed() =>
        Run.Sandbox.Kind == SandboxKind.Bwrap ? this : this with { Run = Run with { Sandbox = Run.Sandbox with { Kind = SandboxKind.Bwrap } } };

    /// <summary>Sections this version does not interpret itself (<c>[search]</c>, <c>[swarm]</c>, ...), as parsed.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, object>> Extra { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, object>>();
}
