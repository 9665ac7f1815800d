namespace AutoResearch.Swarm.Simulator.Adversaries;

/// <summary>The cheaters the simulator sends against the coordinator.</summary>
internal enum AdversaryKind
{
    /// <summary>Claims metrics it never measured.</summary>
    Fabricator,

    /// <summary>Sends requests with bad signatures, others' keys, or unregistered keys.</summary>
    Forger,

    /// <summary>Re-sends captured requests, verbatim, with a changed body, or stale.</summary>
    Replayer,

    /// <summary>Reports verifications without running them.</summary>
    Lazy,

    /// <summary>Two keys (different owners on paper): one fabricates, the other confirms its partner's claims.</summary>
    Colluder,

    /// <summary>Claims patches that touch read-only files, add symlinks, escape the workspace, or are oversized.</summary>
    Smuggler,

    /// <summary>Verifies honestly, then claims the winning patches it was sent, in another text with the same effect.</summary>
    Thief,

    /// <summary>Sends claims with a metric missing, not finite, near the largest double, or far out of the project's range.</summary>
    Liar,
}
