namespace AutoResearch.Core.Spec;

/// <summary>
/// The <c>[slurm]</c> section: how a run becomes a Slurm job when <c>[run] executor = "slurm"</c>. Each parallel slot is one
/// job at a time, with the resources given here; the job runs the same command, environment and sandbox as a local run.
/// </summary>
public sealed record SlurmSpec
{
    /// <summary>No section: the cluster's defaults, and no shared folder (which <c>executor = "slurm"</c> requires).</summary>
    public static SlurmSpec Default { get; } = new();

    /// <summary><c>partition</c>: <c>sbatch --partition</c>; null for the cluster's default partition.</summary>
    public string? Partition { get; init; }

    /// <summary><c>account</c>: <c>sbatch --account</c>; null for the user's default account.</summary>
    public string? Account { get; init; }

    /// <summary><c>gres</c>: generic resources of each slot's job, e.g. <c>gpu:1</c> (<c>sbatch --gres</c>); Slurm sets <c>CUDA_VISIBLE_DEVICES</c>.</summary>
    public string? Gres { get; init; }

    /// <summary><c>cpus</c>: cores of each slot's job (<c>sbatch --cpus-per-task</c>, and the run's <c>AUTORESEARCH_THREADS</c>); null for the cluster's default.</summary>
    public int? Cpus { get; init; }

    /// <summary><c>memory_mb</c>: memory of each slot's job (<c>sbatch --mem</c>); null for the cluster's default.</summary>
    public long? MemoryMb { get; init; }

    /// <summary><c>sbatch_args</c>: more arguments for every <c>sbatch</c>, e.g. <c>["--qos=short", "--constraint=a100"]</c>.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>
    /// <c>shared_dir</c>: a folder of the cluster's shared file system that holds the workspace, so that every node sees its
    /// worktrees and run directories at the same path. Required with <c>executor = "slurm"</c>.
    /// </summary>
    public string? SharedDirectory { get; init; }

    /// <summary><c>poll_seconds</c>: how often a job's state is read from the scheduler; default 1.</summary>
    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary><c>retries</c>: how many times a job the cluster failed (node failure, preemption) is submitted again; default 2.</summary>
    public int Retries { get; init; } = 2;

    /// <summary><c>job_name</c>: the prefix of every job's name (then the run's tag and the experiment); default <c>autoresearch</c>.</summary>
    public string JobName { get; init; } = "autoresearch";
}
