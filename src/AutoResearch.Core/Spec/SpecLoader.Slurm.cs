using AutoResearch.Core.Workspace;
using Tomlyn.Model;

namespace AutoResearch.Core.Spec;

public static partial class SpecLoader
{
    /// <summary><c>[run] executor</c>, its problems added to <paramref name="problems"/>.</summary>
    private static ExecutorKind ParseExecutor(TomlTable run, List<string> problems) =>
        OptionalChoice(run, "run", "executor", ["local", "slurm"], problems) == "slurm" ? ExecutorKind.Slurm : ExecutorKind.Local;

    /// <summary>
    /// The <c>[slurm]</c> section. With <paramref name="executor"/> Slurm, the workspace at <paramref name="root"/> must lie in
    /// <c>shared_dir</c>: a job on another node sees only the shared file system.
    /// </summary>
    private static SlurmSpec ParseSlurm(TomlTable table, ExecutorKind executor, string root, List<string> problems)
    {
        var defaults = SlurmSpec.Default;
        var extra = new List<string>();
        if (table.TryGetValue("sbatch_args", out var value))
        {
            if (value is TomlArray array && array.All(x => x is string { Length: > 0 } s && s.StartsWith('-')))
            {
                extra.AddRange(array.Cast<string>());
            }
            else
            {
                problems.Add($"[slurm] sbatch_args = {Show(value)} must be a list of sbatch options, e.g. [\"--qos=short\", \"--constraint=a100\"]");
            }
        }

        var spec = new SlurmSpec
        {
            Partition = OptionalString(table, "slurm", "partition", problems),
            Account = OptionalString(table, "slurm", "account", problems),
            Gres = OptionalString(table, "slurm", "gres", problems),
            Cpus = OptionalInteger(table, "slurm", "cpus", 1, 100_000, problems),
            MemoryMb = OptionalInteger(table, "slurm", "memory_mb", 1, int.MaxValue, problems),
            ExtraArguments = extra,
            SharedDirectory = OptionalString(table, "slurm", "shared_dir", problems),
            Poll = OptionalSeconds(table, "slurm", "poll_seconds", problems) ?? defaults.Poll,
            Retries = OptionalInteger(table, "slurm", "retries", 0, 100, problems) ?? defaults.Retries,
            JobName = OptionalString(table, "slurm", "job_name", problems) ?? defaults.JobName,
        };
        foreach (var (key, text) in new[] { ("partition", spec.Partition), ("account", spec.Account), ("gres", spec.Gres), ("job_name", spec.JobName) })
        {
            // One sbatch argument each: a space or a comma-free injection of another option would change the job's meaning.
            if (text is not null && (text.Length == 0 || text.Any(char.IsWhiteSpace) || text.StartsWith('-')))
            {
                problems.Add($"[slurm] {key} = \"{text}\" must be one word (no spaces, not starting with '-')");
            }
        }

        if (executor != ExecutorKind.Slurm)
        {
            return spec;
        }

        if (spec.SharedDirectory is not { Length: > 0 } shared)
        {
            problems.Add("[slurm] shared_dir is missing: with [run] executor = \"slurm\" the workspace must live on the cluster's shared " +
                "file system; name that folder, e.g. shared_dir = \"/scratch/me\"");
        }
        else if (!Path.IsPathRooted(shared) || !Directory.Exists(shared))
        {
            problems.Add($"[slurm] shared_dir = \"{shared}\" must be an absolute path to an existing folder (the cluster's shared file system)");
        }
        else if (!RealPath.IsWithin(root, shared))
        {
            problems.Add($"the workspace {root} is outside [slurm] shared_dir = \"{shared}\": jobs on other nodes could not see its worktrees " +
                "and run directories. Clone the workspace into the shared folder, or set shared_dir to the shared file system that holds it");
        }

        return spec;
    }
}
