using System.Globalization;

namespace AutoResearch.Core.Running;

/// <summary>
/// What one parallel slot's runs may use: with GPUs, one device each (<c>CUDA_VISIBLE_DEVICES</c>); otherwise an equal share
/// of the cores, pinned with CPU affinity and announced as <c>AUTORESEARCH_THREADS</c> so the workload sizes its thread pool.
/// </summary>
/// <param name="Index">The slot's number, from 0.</param>
/// <param name="Environment">Variables for the slot's runs.</param>
/// <param name="Cpus">The CPU list the runs are pinned to (<c>taskset -c</c> syntax), or null when not pinned.</param>
public sealed record SlotResources(int Index, IReadOnlyDictionary<string, string?> Environment, string? Cpus)
{
    /// <summary>The resources of slot <paramref name="index"/> of <paramref name="count"/>.</summary>
    /// <param name="gpus">The spec's <c>[run] gpus</c>; when not empty, slot i gets device <c>gpus[i]</c> and no pinning.</param>
    /// <param name="cores">The machine's cores (<see cref="System.Environment.ProcessorCount"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">More slots than GPUs.</exception>
    public static SlotResources For(int index, int count, IReadOnlyList<string> gpus, int cores)
    {
        ArgumentNullException.ThrowIfNull(gpus);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        ArgumentOutOfRangeException.ThrowIfLessThan(cores, 1);
        if (gpus.Count > 0)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(count, gpus.Count);
            return new SlotResources(index, new Dictionary<string, string?> { ["CUDA_VISIBLE_DEVICES"] = gpus[index] }, null);
        }

        if (count == 1)
        {
            // One slot owns the machine: no pinning, and the workload's own default thread count.
            return new SlotResources(index, new Dictionary<string, string?>(), null);
        }

        // An equal share of the cores; with more slots than cores, slots share cores round-robin.
        var share = Math.Max(1, cores / count);
        var first = (index * share) % cores;
        var cpus = share == 1 ? first.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{first}-{first + share - 1}");
        var environment = new Dictionary<string, string?> { ["AUTORESEARCH_THREADS"] = share.ToString(CultureInfo.InvariantCulture) };
        return new SlotResources(index, environment, cpus);
    }

    /// <summary>
    /// The resources of slot <paramref name="index"/> when each run is a Slurm job: the job holds its own cores and GPUs
    /// (<c>[slurm] cpus</c> and <c>gres</c>; Slurm sets <c>CUDA_VISIBLE_DEVICES</c>), so nothing is pinned here, and the
    /// job's cores are announced as <c>AUTORESEARCH_THREADS</c>.
    /// </summary>
    public static SlotResources ForJob(int index, int? cpus)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var environment = new Dictionary<string, string?>();
        if (cpus is { } count)
        {
            environment["AUTORESEARCH_THREADS"] = count.ToString(CultureInfo.InvariantCulture);
        }

        return new SlotResources(index, environment, null);
    }
}
