using System.Globalization;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Running;

/// <summary>What one sandboxed command may see: where it runs, what it may write, what it may only read, what it never sees.</summary>
/// <param name="WorkingDirectory">Where the command starts.</param>
/// <param name="Writable">Folders bound writable (the worktree and the run directory when training).</param>
/// <param name="ReadOnly">Paths bound read-only over whatever hides their parents (e.g. the training split).</param>
/// <param name="Hidden">Paths replaced by an empty folder or an empty file (validation data, the harness's state).</param>
internal sealed record SandboxMounts(string WorkingDirectory, IReadOnlyList<string> Writable, IReadOnlyList<string> ReadOnly, IReadOnlyList<string> Hidden);

/// <summary>
/// The launch of one command under bubblewrap, with its resource limits. The command line it builds is
/// <c>bash -c JOIN GROUPS -- prlimit LIMITS -- bwrap OPTIONS -- bash -c COMMAND</c>: the first bash joins the cgroups
/// (so every later process is counted) and stays as the parent, so that <c>--die-with-parent</c> ties the sandbox to a
/// single-threaded process in the harness's process group: killing that group (timeout, early stop, a resumed harness
/// finding the <c>.pgid</c> file) kills bwrap, and the kernel then kills everything in the sandbox's pid namespace.
/// </summary>
internal sealed class Sandbox : IDisposable
{
    private readonly SandboxSpec _spec;
    private readonly List<string> _prefix = [];

    private Sandbox(SandboxSpec spec, CgroupLimits cgroups)
    {
        _spec = spec;
        Cgroups = cgroups;
    }

    /// <summary>The groups that hold the memory and process limits.</summary>
    public CgroupLimits Cgroups { get; }

    /// <summary>The arguments that go before <c>bash -c COMMAND</c>.</summary>
    public IReadOnlyList<string> Prefix => _prefix;

    /// <summary>One line for the run's log: the isolation and each limit, and what is missing on this machine.</summary>
    public string Description { get; private set; } = "";

    /// <summary>Where bwrap is on <c>PATH</c>, or null when it is not installed.</summary>
    public static string? BwrapPath => Find(null);

    /// <summary>Where bwrap is on <paramref name="searchPath"/> (null for <c>PATH</c>), or null.</summary>
    public static string? Find(string? searchPath) => Which("bwrap", searchPath ?? Environment.GetEnvironmentVariable("PATH"));

    /// <summary>Prepares the sandbox for one command.</summary>
    /// <param name="spec">The isolation and its limits.</param>
    /// <param name="mounts">What the command sees.</param>
    /// <param name="timeout">The run's timeout, from which the default CPU-time limit follows.</param>
    /// <param name="searchPath">Where to look for bwrap and prlimit; null for <c>PATH</c>.</param>
    /// <param name="network">Shares the host's network (an agent calling its model's API); experiments never get it.</param>
    /// <param name="missing">The message when bubblewrap is not installed.</param>
    /// <param name="localLimits">
    /// False where the command runs on another machine (a Slurm job): no cgroups are made here, and the scheduler's limits
    /// (the job's memory) stand in for them.
    /// </param>
    /// <exception cref="ResearchException">bubblewrap is not installed.</exception>
    public static Sandbox Prepare(
        SandboxSpec spec, SandboxMounts mounts, TimeSpan timeout, string? searchPath = null, bool network = false, string? missing = null, bool localLimits = true)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(mounts);
        searchPath ??= Environment.GetEnvironmentVariable("PATH");
        var bwrap = Which("bwrap", searchPath) ?? throw new ResearchException(missing ??
            "[run] sandbox = \"bwrap\" but bubblewrap is not installed (no `bwrap` on PATH); install it (apt-get install bubblewrap) " +
            "or set [run] sandbox = \"none\" in autoresearch.toml");
        var cgroups = localLimits
            ? CgroupLimits.Create(spec.MemoryMb * 1024 * 1024, spec.Processes)
            : CgroupLimits.None("memory and processes: the run is a Slurm job, limited by the job's memory ([slurm] memory_mb) and the cluster's own limits");
        var sandbox = new Sandbox(spec, cgroups);
        sandbox.Build(bwrap, mounts, timeout, searchPath, network);
        return sandbox;
    }

    /// <summary>Why the command failed when a limit stopped it (memory, processes), or null.</summary>
    public string? LimitFailure()
    {
        if (Cgroups.OomKills > 0)
        {
            return $"killed by the sandbox's memory limit of {_spec.MemoryMb} MB ([limits] memory_mb in autoresearch.toml)";
        }

        return Cgroups.ProcessLimitHits > 0
            ? $"hit the sandbox's process limit of {_spec.Processes} ({Cgroups.ProcessLimitHits} forks refused; [limits] processes in autoresearch.toml)"
            : null;
    }

    public void Dispose() => Cgroups.Dispose();

    private void Build(string bwrap, SandboxMounts mounts, TimeSpan timeout, string? searchPath, bool network)
    {
        var missing = new List<string>(Cgroups.Missing);
        _prefix.AddRange(["bash", "-c", "while [ \"$1\" != -- ]; do echo $$ > \"$1\" || exit 125; shift; done; shift; \"$@\"; exit $?", "sandbox"]);
        _prefix.AddRange(Cgroups.ProcsFiles);
        _prefix.Add("--");

        var cpuSeconds = _spec.CpuSeconds ?? (long)Math.Ceiling(timeout.TotalSeconds * Environment.ProcessorCount);
        var limits = new List<string>();
        if (Which("prlimit", searchPath) is { } prlimit)
        {
            _prefix.Add(prlimit);
            _prefix.Add(string.Create(CultureInfo.InvariantCulture, $"--cpu={cpuSeconds}"));
            _prefix.Add(string.Create(CultureInfo.InvariantCulture, $"--fsize={_spec.FileSizeMb * 1024 * 1024}"));
            limits.Add($"cpu {cpuSeconds} s per process");
            limits.Add($"file size {_spec.FileSizeMb} MB");
            if (_spec.AddressSpaceMb > 0)
            {
                _prefix.Add(string.Create(CultureInfo.InvariantCulture, $"--as={_spec.AddressSpaceMb * 1024 * 1024}"));
                limits.Add($"address space {_spec.AddressSpaceMb} MB per process");
            }

            // RLIMIT_NPROC counts every process of the user and never binds root: only a fallback without the pids cgroup.
            if (!Cgroups.LimitsProcesses && Environment.UserName != "root")
            {
                _prefix.Add(string.Create(CultureInfo.InvariantCulture, $"--nproc={_spec.Processes}"));
                limits.Add($"processes {_spec.Processes} (RLIMIT_NPROC, counts all of the user's processes)");
            }

            _prefix.Add("--");
        }
        else
        {
            missing.Add("cpu, file size, address space: no `prlimit` on PATH (install util-linux)");
        }

        if (Cgroups.LimitsMemory)
        {
            limits.Add($"memory {_spec.MemoryMb} MB (cgroup v1)");
        }

        if (Cgroups.LimitsProcesses)
        {
            limits.Add($"processes {_spec.Processes} (cgroup v1 pids)");
        }
        else if (Environment.UserName == "root" || Which("prlimit", searchPath) is null)
        {
            missing.Add("processes: no pids cgroup, and RLIMIT_NPROC does not bind root");
        }

        _prefix.AddRange([bwrap, "--unshare-all"]);
        if (network)
        {
            _prefix.Add("--share-net");
        }

        _prefix.AddRange(["--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]);
        var binds = mounts.Writable.Concat(mounts.ReadOnly).Select(Full).ToList();
        // A hidden folder that holds a bound path (the state folder holding the worktree) is hidden first, so the bind shows through.
        var hidden = mounts.Hidden.Select(Full).Where(p => File.Exists(p) || Directory.Exists(p)).ToList();
        var outer = hidden.Where(h => binds.Any(b => IsWithin(b, h))).ToList();
        foreach (var path in outer)
        {
            Hide(path);
        }

        // Outer paths first, so that a path bound inside another (a read-only file in a writable worktree, a writable file in a
        // read-only folder) shows through it.
        var ordered = mounts.Writable.Select(p => (Path: Full(p), Writable: true))
            .Concat(mounts.ReadOnly.Select(p => (Path: Full(p), Writable: false)))
            .OrderBy(m => m.Path.Count(c => c == '/'))
            .ToList();
        foreach (var (path, writable) in ordered)
        {
            if (writable && !File.Exists(path))
            {
                Directory.CreateDirectory(path);
            }

            if (File.Exists(path) || Directory.Exists(path))
            {
                _prefix.AddRange([writable ? "--bind" : "--ro-bind", path, path]);
            }
        }

        foreach (var path in hidden.Except(outer))
        {
            Hide(path);
        }

        _prefix.AddRange(["--chdir", Full(mounts.WorkingDirectory), "--"]);
        Description = $"[autoresearch] sandbox: bwrap ({(network ? "network shared" : "no network")}, read-only root, private /tmp, no capabilities; writable: {(mounts.Writable.Count > 0 ? string.Join(", ", mounts.Writable) : "nothing")}" +
            $"{(hidden.Count > 0 ? $"; hidden: {string.Join(", ", hidden)}" : "")}); limits: {string.Join(", ", limits)}" +
            $"{(missing.Count > 0 ? $"; NOT limited here: {string.Join("; ", missing)}" : "")}";
    }

    private void Hide(string path) =>
        _prefix.AddRange(Directory.Exists(path) ? ["--tmpfs", path] : ["--ro-bind", "/dev/null", path]);

    private static string Full(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    private static bool IsWithin(string path, string folder) =>
        path == folder || path.StartsWith(folder + "/", StringComparison.Ordinal);

    /// <summary>Where <paramref name="program"/> is on <paramref name="searchPath"/> (null: /usr/bin and /bin), or null.</summary>
    internal static string? Which(string program, string? searchPath) =>
        (searchPath ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
}
