namespace AutoResearch.Core.Spec;

/// <summary>Where experiment commands run (<c>[run] executor</c>).</summary>
public enum ExecutorKind
{
    /// <summary><c>"local"</c>: a process group on the machine that runs the loop (the default).</summary>
    Local,

    /// <summary><c>"slurm"</c>: each run is a Slurm batch job (<c>sbatch</c>) on the cluster, configured by <c>[slurm]</c>.</summary>
    Slurm,
}
