namespace AutoResearch.Swarm.Worker;

/// <summary>
/// THE ONE PLACE that decides how a worker runs code it did not write (a claim it verifies, a head built from others' patches).
/// The rule: always sandboxed (no network, read-only root, resource limits). Today Core's runner has no sandbox option yet, so
/// <see cref="Sandbox"/> names what the runner must use and the real engine refuses to verify unless the spec's
/// <c>[run] sandbox</c> is set to it; when Core's <c>[run] sandbox = "bwrap"</c> lands, this method forces it on
/// the spec for every run of others' code, and nothing else in the worker changes.
/// </summary>
public static class OthersCode
{
    /// <summary>The sandbox every run of others' code must use.</summary>
    public const string Sandbox = "bwrap";

    /// <summary>
    /// The run settings for others' code: the spec's <c>[run]</c> with the sandbox forced on. Returns the problem when the
    /// sandbox cannot be guaranteed, so the caller refuses the job instead of running unconfined code.
    /// </summary>
    public static string? Problem(Core.Spec.ResearchSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        // Core's RunSpec has no sandbox field in this build: the runner cannot confine a run, so verification is refused
        // unless the operator has explicitly opted in to unconfined runs (a private swarm of trusted machines).
        return Environment.GetEnvironmentVariable("AUTORESEARCH_SWARM_UNSANDBOXED") == "1"
            ? null
            : $"this build's runner cannot sandbox ({Sandbox}) others' code; run the worker with --no-verify, or set AUTORESEARCH_SWARM_UNSANDBOXED=1 on a private swarm";
    }
}
