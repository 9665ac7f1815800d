namespace AutoResearch.Core.Spec;

/// <summary>The <c>[score]</c> section: how the metric is obtained, and what training may not see.</summary>
public sealed record ScoreSpec
{
    /// <summary>Self-reported, nothing hidden.</summary>
    public static ScoreSpec Default { get; } = new();

    /// <summary><c>mode</c>: <c>"self-reported"</c> (default) or <c>"trusted"</c>.</summary>
    public ScoreMode Mode { get; init; } = ScoreMode.SelfReported;

    /// <summary>
    /// <c>serve</c>: a shell command that serves the trained model's log-probabilities on stdin/stdout (the protocol of
    /// <see cref="Running.LogProbScorer"/>); it finds the checkpoint in <c>AUTORESEARCH_CHECKPOINT</c>. Needs <see cref="Data"/>.
    /// </summary>
    public string? Serve { get; init; }

    /// <summary>
    /// <c>command</c>: a shell command run after training that prints the metric (e.g. <c>python eval.py</c>, kept read-only);
    /// it sees the <see cref="Hidden"/> paths, training does not.
    /// </summary>
    public string? Command { get; init; }

    /// <summary>
    /// <c>data</c>: the byte corpus the served model is scored on; its last <see cref="HoldoutFraction"/> is the holdout, which
    /// the harness keeps (training gets the rest as <c>AUTORESEARCH_DATA</c>, with <c>AUTORESEARCH_SPLIT=train</c>).
    /// <c>~</c> and <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-default}</c> are expanded when the run starts.
    /// </summary>
    public string? Data { get; init; }

    /// <summary><c>holdout_fraction</c>: the share of <see cref="Data"/>, from its end, that is scored; default 0.1.</summary>
    public double HoldoutFraction { get; init; } = 0.1;

    /// <summary><c>tolerance</c>: how far a self-reported metric may be from the trusted one before it is flagged; default 0.001.</summary>
    public double Tolerance { get; init; } = 0.001;

    /// <summary><c>causality_probes</c>: sequences re-sent with their tail changed, to catch a model that looks ahead; default 16.</summary>
    public int CausalityProbes { get; init; } = 16;

    /// <summary>
    /// <c>hidden</c>: paths (relative to the worktree, or absolute) that training never sees under the sandbox; the scoring
    /// phase sees them read-only.
    /// </summary>
    public IReadOnlyList<string> Hidden { get; init; } = [];
}
