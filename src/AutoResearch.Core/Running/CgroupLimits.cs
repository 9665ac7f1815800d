using System.Globalization;

namespace AutoResearch.Core.Running;

/// <summary>
/// A cgroup v1 memory and pids group made for one sandboxed command, below the harness's own groups; removed (its
/// remaining processes killed) when disposed. Each controller is used only where this machine lets us create a group
/// and write its limit; what could not be set is listed in <see cref="Missing"/>. cgroup v2 is not used: where it is the
/// only hierarchy, the memory limit is reported missing.
/// </summary>
internal sealed class CgroupLimits : IDisposable
{
    private const string Root = "/sys/fs/cgroup";
    private readonly string? _memory;
    private readonly string? _pids;

    private CgroupLimits(string? memory, string? pids, IReadOnlyList<string> missing)
    {
        (_memory, _pids, Missing) = (memory, pids, missing);
    }

    /// <summary>What could not be limited, each with the reason (e.g. "memory: no cgroup v1 memory controller").</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>True when the memory limit is in force.</summary>
    public bool LimitsMemory => _memory is not null;

    /// <summary>True when the process limit is in force.</summary>
    public bool LimitsProcesses => _pids is not null;

    /// <summary>The <c>cgroup.procs</c> files a process writes its pid to, to join the groups.</summary>
    public IReadOnlyList<string> ProcsFiles => new[] { _memory, _pids }.OfType<string>().Select(d => Path.Combine(d, "cgroup.procs")).ToList();

    /// <summary>Creates the groups; <paramref name="memoryBytes"/> or <paramref name="processes"/> of 0 skips that controller.</summary>
    public static CgroupLimits Create(long memoryBytes, int processes)
    {
        var missing = new List<string>();
        var name = $"autoresearch-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        string? memory = null;
        string? pids = null;
        if (memoryBytes > 0)
        {
            memory = Make("memory", name, missing, dir =>
            {
                File.WriteAllText(Path.Combine(dir, "memory.limit_in_bytes"), memoryBytes.ToString(CultureInfo.InvariantCulture));
                // Without swap accounting this file is absent; with it, swap must not extend the limit.
                var swap = Path.Combine(dir, "memory.memsw.limit_in_bytes");
                if (File.Exists(swap))
                {
                    File.WriteAllText(swap, memoryBytes.ToString(CultureInfo.InvariantCulture));
                }
            });
        }

        if (processes > 0)
        {
            pids = Make("pids", name, missing, dir => File.WriteAllText(Path.Combine(dir, "pids.max"), processes.ToString(CultureInfo.InvariantCulture)));
        }

        return new CgroupLimits(memory, pids, missing);
    }

    /// <summary>No groups: the limits are set elsewhere (<paramref name="reason"/> says where), e.g. by Slurm on another machine.</summary>
    public static CgroupLimits None(string reason) => new(null, null, [reason]);

    /// <summary>The group's peak memory (<c>memory.max_usage_in_bytes</c>), or 0 without a memory group.</summary>
    public long PeakMemoryBytes => _memory is null ? 0 : ReadLong(Path.Combine(_memory, "memory.max_usage_in_bytes"));

    /// <summary>How many processes the kernel killed for going over the memory limit.</summary>
    public long OomKills => _memory is null ? 0 : Field(Path.Combine(_memory, "memory.oom_control"), "oom_kill");

    /// <summary>How many forks failed at the process limit.</summary>
    public long ProcessLimitHits => _pids is null ? 0 : Field(Path.Combine(_pids, "pids.events"), "max");

    /// <summary>Kills what is left in the groups and removes them.</summary>
    public void Dispose()
    {
        foreach (var dir in new[] { _memory, _pids }.OfType<string>())
        {
            for (var attempt = 0; attempt < 50 && Directory.Exists(dir); attempt++)
            {
                foreach (var line in ReadLines(Path.Combine(dir, "cgroup.procs")))
                {
                    if (int.TryParse(line, CultureInfo.InvariantCulture, out var pid) && pid > 1)
                    {
                        _ = ProcessGroup.Signal(pid, 9);
                    }
                }

                try
                {
                    Directory.Delete(dir);
                }
                catch (IOException)
                {
                    // EBUSY while the killed processes are being reaped; try again shortly.
                    Thread.Sleep(20);
                }
            }
        }
    }

    private static string? Make(string controller, string name, List<string> missing, Action<string> configure)
    {
        var hierarchy = Path.Combine(Root, controller);
        if (!Directory.Exists(hierarchy) || !File.Exists(Path.Combine(hierarchy, "cgroup.procs")))
        {
            var v2 = File.Exists(Path.Combine(Root, "cgroup.controllers")) ? " (this machine has only cgroup v2, which is not used yet)" : "";
            missing.Add($"{controller}: no cgroup v1 {controller} controller at {hierarchy}{v2}");
            return null;
        }

        // Below our own group, so that limits set above us still apply.
        var own = ReadLines("/proc/self/cgroup").Select(l => l.Split(':', 3))
            .FirstOrDefault(f => f.Length == 3 && f[1].Split(',').Contains(controller))?[2] ?? "/";
        var dir = Path.Combine(hierarchy + own.TrimEnd('/'), name);
        try
        {
            Directory.CreateDirectory(dir);
            configure(dir);
            return dir;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not root, a read-only cgroup mount, or a delegated hierarchy we may not write: run without this limit, and say so.
            missing.Add($"{controller}: cannot create a cgroup at {dir} ({e.Message})");
            try
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir);
                }
            }
            catch (IOException)
            {
                // Best effort: an empty leftover group costs nothing.
            }

            return null;
        }
    }

    private static long ReadLong(string path) =>
        ReadLines(path).Select(l => long.TryParse(l.Trim(), CultureInfo.InvariantCulture, out var v) ? v : 0).FirstOrDefault();

    private static long Field(string path, string key) =>
        ReadLines(path).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length == 2 && f[0] == key)
            .Select(f => long.TryParse(f[1], CultureInfo.InvariantCulture, out var v) ? v : 0)
            .FirstOrDefault();

    private static string[] ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The group is gone or unreadable: no figures.
            return [];
        }
    }
}
