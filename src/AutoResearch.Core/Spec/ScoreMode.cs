namespace AutoResearch.Core.Spec;

/// <summary>Where the metric that decides comes from (<c>[score] mode</c>).</summary>
public enum ScoreMode
{
    /// <summary><c>"self-reported"</c>: the run prints it (karpathy's way; fine when you trust the code that runs).</summary>
    SelfReported,

    /// <summary>
    /// <c>"trusted"</c>: the harness computes it after training, from a log-probability server (<c>[score] serve</c>) or a
    /// separate evaluation command (<c>[score] command</c>); a number the training prints is only recorded.
    /// </summary>
    Trusted,
}
