namespace AutoResearch.Core.Spec;

/// <summary>
/// <c>[run] sandbox</c> and the <c>[limits]</c> section: the isolation of experiment commands and their resource limits.
/// The limits apply only inside the sandbox.
/// </summary>
public sealed record SandboxSpec
{
    /// <summary>No sandbox, default limits.</summary>
    public static SandboxSpec None { get; } = new();

    /// <summary>bubblewrap with the default limits (what swarm work always uses).</summary>
    public static SandboxSpec Bwrap { get; } = new() { Kind = SandboxKind.Bwrap };

    /// <summary><c>[run] sandbox</c>: <c>"none"</c> (default) or <c>"bwrap"</c>.</summary>
    public SandboxKind Kind { get; init; } = SandboxKind.None;

    /// <summary><c>[limits] memory_mb</c>: memory of the whole run (a cgroup v1 memory controller, where the machine has one); default 8192; 0 for none.</summary>
    public long MemoryMb { get; init; } = 8192;

    /// <summary><c>[limits] processes</c>: processes and threads of the run (cgroup v1 pids controller, and RLIMIT_NPROC for non-root users); default 1024.</summary>
    public int Processes { get; init; } = 1024;

    /// <summary><c>[limits] file_size_mb</c>: the largest file a run may write (RLIMIT_FSIZE); default 4096.</summary>
    public long FileSizeMb { get; init; } = 4096;

    /// <summary>
    /// <c>[limits] address_space_mb</c>: virtual memory per process (RLIMIT_AS); default 0, none: .NET and CUDA reserve far
    /// more address space than they use, so this limit breaks them at any useful size; use <see cref="MemoryMb"/>.
    /// </summary>
    public long AddressSpaceMb { get; init; }

    /// <summary><c>[limits] cpu_seconds</c>: CPU time per process (RLIMIT_CPU); default null: the run's timeout times the machine's cores.</summary>
    public long? CpuSeconds { get; init; }
}
