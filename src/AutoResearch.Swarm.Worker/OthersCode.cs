using AutoResearch.Core.Spec;

namespace AutoResearch.Swarm.Worker;

/// <summary>
/// THE ONE PLACE that decides how a worker runs code it did not write: a claim it verifies, and every head built from the
/// chain (others' accepted patches), which its own explorations run on too. The rule: always in bubblewrap (no network,
/// read-only root, only the worktree and run directory writable, the <c>[limits]</c> kept), whatever the workspace's
/// <c>[run] sandbox</c> says; the runner then scores as the spec asks (trusted scoring when <c>[score] mode = "trusted"</c>).
/// There is no opt-out: a machine without bubblewrap cannot join a swarm.
/// </summary>
public static class OthersCode
{
    /// <summary>The spec every swarm run uses: <paramref name="spec"/> with its runs in bubblewrap.</summary>
    public static ResearchSpec Spec(ResearchSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Sandboxed();
    }

    /// <summary>
    /// Why this machine cannot run others' code (no <c>bwrap</c> on <paramref name="searchPath"/>, <c>PATH</c> when null), or null
    /// when it can; the worker refuses to start instead of running unconfined code.
    /// </summary>
    public static string? Problem(string? searchPath = null)
    {
        searchPath ??= Environment.GetEnvironmentVariable("PATH") ?? "";
        var found = searchPath.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(directory => File.Exists(Path.Combine(directory, "bwrap")));
        return found
            ? null
            : "a swarm worker runs others' code only in bubblewrap, and `bwrap` is not on PATH; install it (apt-get install bubblewrap) and start the worker again";
    }

    /// <summary>
    /// The spec a trusted verifier scores the holdout with: <see cref="Spec"/> with <c>[score] data</c> pointed at the owner's
    /// private corpus <paramref name="holdout"/> (never sent to other workers). Returns the problem when the project's scoring
    /// cannot use one (only a trusted, served score reads <c>[score] data</c>).
    /// </summary>
    public static (ResearchSpec? Spec, string? Problem) Holdout(ResearchSpec spec, string holdout)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Score.Mode != ScoreMode.Trusted || spec.Score.Serve is null)
        {
            return (null, $"--holdout needs trusted scoring with a served model ([score] mode = \"trusted\" and serve = ...) in {spec.Source}; this project's score does not read [score] data");
        }

        var path = Path.GetFullPath(holdout);
        return File.Exists(path)
            ? (Spec(spec) with { Score = spec.Score with { Data = path } }, null)
            : (null, $"--holdout {holdout}: no such file ({path}); give the private corpus the holdout is scored on");
    }
}
