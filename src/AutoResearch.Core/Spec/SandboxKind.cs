namespace AutoResearch.Core.Spec;

/// <summary>How experiment commands are isolated (<c>[run] sandbox</c>).</summary>
public enum SandboxKind
{
    /// <summary><c>"none"</c>: the command runs as the harness's user with its access (the default locally).</summary>
    None,

    /// <summary>
    /// <c>"bwrap"</c>: bubblewrap with no network, a read-only root, only the worktree and the run directory writable,
    /// a private /tmp, all capabilities dropped, and the <c>[limits]</c> applied.
    /// </summary>
    Bwrap,
}
