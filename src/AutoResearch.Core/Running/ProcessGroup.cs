using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace AutoResearch.Core.Running;

/// <summary>
/// A shell command running in its own session and process group (via <c>setsid</c>), with stdout and
/// stderr merged into a capped log file, a hard timeout that kills the whole group (TERM, then KILL after a
/// grace period), and the group's peak resident memory sampled from <c>/proc</c>. Linux only.
/// </summary>
/// <remarks>
/// No process of the command outlives it. Where the machine allows, the command is the first process of a pid namespace
/// of its own (<see cref="PidNamespace"/>), so the kernel ends everything it started when it ends, whatever left the
/// group. Everywhere, each process carries a marker variable (<see cref="PhaseVariable"/>) by which the ones that left the
/// group are found, killed and reported (<see cref="ProcessOutcome.Escaped"/>), and every wait is bounded: a process
/// that still holds the output pipes after the kill cannot hold the caller past a few seconds.
/// </remarks>
internal sealed partial class ProcessGroup : IRunningCommand
{
    private static readonly TimeSpan s_killGrace = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan s_sampleInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan s_firstSample = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_pipeGrace = TimeSpan.FromSeconds(2);
    private static readonly long s_pageSize = Environment.SystemPageSize;

    private readonly Process _process;
    private readonly CappedLog _log;
    private readonly string _marker;
    private readonly List<string> _escaped = [];
    private readonly HashSet<string> _pipes;
    private readonly Action<string>? _onLine;
    private readonly Stopwatch _clock;
    private readonly Task _stdout;
    private readonly Task _stderr;
    private long _peakRssBytes;
    private string? _pidFile;
    private bool _disposed;

    private ProcessGroup(Process process, CappedLog log, Action<string>? onLine, bool interactive, string logPath, string marker)
    {
        LogPath = logPath;
        _process = process;
        _log = log;
        _marker = marker;
        _onLine = onLine;
        _clock = Stopwatch.StartNew();
        _pipes = [.. new[] { interactive ? null : process.StandardOutput.BaseStream, process.StandardError.BaseStream }.Select(PipeName).OfType<string>()];
        _stdout = interactive ? Task.CompletedTask : PumpAsync(process.StandardOutput);
        _stderr = PumpAsync(process.StandardError);
    }

    /// <summary>The variable every process of a command inherits, with a value unique to that command.</summary>
    public const string PhaseVariable = "AUTORESEARCH_PHASE_ID";

    /// <summary>The process id, which is also the process group id.</summary>
    public int Id => _process.Id;

    /// <summary>The log that receives the command's output.</summary>
    public string LogPath { get; }

    /// <summary>The command's stdin, when started interactive.</summary>
    public Stream Input => _process.StandardInput.BaseStream;

    /// <summary>The command's stdout, when started interactive (not logged).</summary>
    public Stream Output => _process.StandardOutput.BaseStream;

    /// <summary>Starts <c>bash -c <paramref name="command"/></c> in <paramref name="workingDirectory"/>.</summary>
    /// <param name="logPath">Receives stdout and stderr, line by line, as they come.</param>
    /// <param name="environment">Variables added to (or, when null-valued, removed from) the inherited environment.</param>
    /// <param name="onLine">Called with each output line (from a pump thread).</param>
    /// <param name="cpus">A CPU list for <c>taskset -c</c> (e.g. <c>0-3</c>) that the command and its children are pinned to; null for any CPU.</param>
    /// <param name="sandbox">Runs the command inside this sandbox; null to run it as is.</param>
    /// <param name="interactive">
    /// Keeps stdin open and stdout unlogged for the caller (<see cref="Input"/>, <see cref="Output"/>); only stderr is logged.
    /// </param>
    /// <param name="header">A first line for the log (e.g. the sandbox's description).</param>
    /// <param name="launcher">Arguments that start the command elsewhere (<c>srun ...</c>), before the sandbox's; null to run it here.</param>
    public static ProcessGroup Start(
        string command,
        string workingDirectory,
        string logPath,
        IReadOnlyDictionary<string, string?>? environment = null,
        Action<string>? onLine = null,
        string? cpus = null,
        Sandbox? sandbox = null,
        bool interactive = false,
        string? header = null,
        IReadOnlyList<string>? launcher = null)
    {
        var info = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (cpus is not null)
        {
            info.ArgumentList.Add("taskset");
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(cpus);
        }

        // A sandbox has a pid namespace of its own already (bwrap --unshare-pid, tied to this group's leader).
        var namespaced = sandbox is null ? PidNamespace.Prefix : null;
        foreach (var argument in (namespaced ?? []).Concat(launcher ?? []).Concat(sandbox?.Prefix ?? []))
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add("bash");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var marker = Guid.NewGuid().ToString("N");
        info.Environment[PhaseVariable] = marker;
        var log = new CappedLog(logPath);
        if (header is not null)
        {
            log.WriteLine(header);
        }

        if (sandbox is null && namespaced is null)
        {
            log.WriteLine($"[autoresearch] no pid namespace ({PidNamespace.Missing}): processes that leave the process group are found by their {PhaseVariable} and killed with it");
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("setsid did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            // setsid or bash missing: nothing can run on this machine.
            log.Dispose();
            throw new ResearchException($"cannot start `bash -c` through setsid: {e.Message}; install util-linux and bash", e);
        }

        if (!interactive)
        {
            process.StandardInput.Close();
        }

        // Written so that a harness killed with -9 can find and end this group (and what left it) when it resumes.
        File.WriteAllText(PidFile(logPath), string.Create(CultureInfo.InvariantCulture, $"{process.Id} {marker}"));
        return new ProcessGroup(process, log, onLine, interactive, logPath, marker) { _pidFile = PidFile(logPath) };
    }

    /// <summary>The file beside a log that holds its group's id while the group runs.</summary>
    public static string PidFile(string logPath) => Path.ChangeExtension(logPath, ".pgid");

    /// <summary>
    /// Kills a group left running by a harness that was killed: the one named in <paramref name="pidFile"/>, but only
    /// if one of its processes still works inside <paramref name="directory"/> (so a reused id is never hit).
    /// </summary>
    /// <returns>True when a leftover group was found and killed.</returns>
    public static async Task<bool> KillLeftoverAsync(string pidFile, string directory)
    {
        var fields = File.Exists(pidFile) ? File.ReadAllText(pidFile).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
        if (fields.Length == 0 || !int.TryParse(fields[0], CultureInfo.InvariantCulture, out var pgid) || pgid <= 1)
        {
            return false;
        }

        // Processes that left the group carry the marker: they are ours whatever their directory.
        var marked = fields.Length > 1 ? Marked(fields[1]) : [];
        foreach (var pid in marked)
        {
            _ = Kill(pid, SigKill);
        }

        var ours = Members(pgid).Any(m =>
        {
            try
            {
                var cwd = new DirectoryInfo($"/proc/{m.Pid}/cwd").LinkTarget;
                return cwd is not null && (cwd + "/").StartsWith(directory.TrimEnd('/') + "/", StringComparison.Ordinal);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone already, or not ours to inspect.
                return false;
            }
        });
        if (ours)
        {
            _ = Kill(-pgid, SigKill);
            for (var i = 0; i < 40 && Members(pgid).Any(m => !m.Zombie); i++)
            {
                await Task.Delay(25, CancellationToken.None).ConfigureAwait(false);
            }
        }

        File.Delete(pidFile);
        return ours || marked.Count > 0;
    }

    /// <summary>
    /// Waits for the command to exit, or kills the whole group when <paramref name="timeout"/> passes or
    /// <paramref name="cancellationToken"/> fires. Any process the command left behind in its group is killed too.
    /// </summary>
    public async Task<ProcessOutcome> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var timedOut = false;
        var cancelled = false;
        using var timeoutSource = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        var exited = _process.WaitForExitAsync(linked.Token);
        // Commands that finish at once never pay for a scan of /proc.
        await Task.WhenAny(exited, Task.Delay(s_firstSample, CancellationToken.None)).ConfigureAwait(false);
        while (!exited.IsCompleted)
        {
            Sample();
            await Task.WhenAny(exited, Task.Delay(s_sampleInterval, CancellationToken.None)).ConfigureAwait(false);
        }

        try
        {
            await exited.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Our own timeout or the caller's cancellation: kill the group, then say which it was.
            timedOut = timeoutSource.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
            cancelled = !timedOut;
            await KillGroupAsync().ConfigureAwait(false);
        }

        var wall = _clock.Elapsed;
        // Children the command left running (a `sleep &`, a data loader) must not outlive the experiment; those that left
        // the group are named in the log, since only a command that tries to outlive its phase does that.
        await KillGroupAsync().ConfigureAwait(false);
        await KillEscapedAsync().ConfigureAwait(false);
        await DrainAsync().ConfigureAwait(false);
        var exitCode = _process.HasExited ? _process.ExitCode : -1;
        if (timedOut)
        {
            WriteLine($"[autoresearch] timed out after {timeout.TotalSeconds:0.#} s; process group {Id} killed");
        }
        else if (cancelled)
        {
            WriteLine($"[autoresearch] interrupted; process group {Id} killed");
        }

        if (_escaped.Count > 0)
        {
            WriteLine($"[autoresearch] {_escaped.Count} process(es) had left the process group and outlived the command; killed: {string.Join(", ", _escaped)}");
        }

        return new ProcessOutcome(exitCode, timedOut, cancelled, wall, _peakRssBytes) { Escaped = [.. _escaped] };
    }

    /// <summary>
    /// Waits a bounded time for the output pumps to see the end of the pipes. A process that still holds them has escaped
    /// every kill so far (it cleared its marker and left the group without a pid namespace): it is searched for once more
    /// by who holds the pipes, and the pumps are abandoned rather than waited on forever.
    /// </summary>
    private async Task DrainAsync()
    {
        var pumps = Task.WhenAll(_stdout, _stderr);
        if (await Task.WhenAny(pumps, Task.Delay(s_pipeGrace, CancellationToken.None)).ConfigureAwait(false) == pumps)
        {
            return;
        }

        foreach (var (pid, name) in PipeHolders())
        {
            _escaped.Add($"{pid} ({name}, held the output pipe)");
            _ = Kill(pid, SigKill);
        }

        if (await Task.WhenAny(pumps, Task.Delay(s_pipeGrace, CancellationToken.None)).ConfigureAwait(false) != pumps)
        {
            WriteLine("[autoresearch] a process outside the harness's reach still holds the output pipe; stopped reading it");
        }
    }

    /// <summary>Kills the processes, outside the group, that carry this command's marker, and remembers them.</summary>
    private async Task KillEscapedAsync()
    {
        for (var round = 0; round < 5; round++)
        {
            var marked = Marked(_marker).Where(pid => pid != Environment.ProcessId).ToList();
            if (marked.Count == 0)
            {
                return;
            }

            foreach (var pid in marked)
            {
                var name = CommandName(pid);
                if (Kill(pid, SigKill) == 0 && round == 0)
                {
                    _escaped.Add($"{pid} ({name})");
                }
            }

            await Task.Delay(25, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The live processes whose environment holds <paramref name="marker"/> as <see cref="PhaseVariable"/>.</summary>
    private static List<int> Marked(string marker)
    {
        var needle = Encoding.ASCII.GetBytes($"{PhaseVariable}={marker}\0");
        var found = new List<int>();
        foreach (var (pid, _, _, _, zombie) in Processes())
        {
            if (zombie)
            {
                continue;
            }

            try
            {
                var environ = File.ReadAllBytes($"/proc/{pid}/environ");
                if (environ.AsSpan().IndexOf(needle) >= 0)
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone, or another user's: not ours.
            }
        }

        return found;
    }

    /// <summary>The processes that hold a pipe of this command's stdout or stderr open (by the pipe's inode in <c>/proc/PID/fd</c>).</summary>
    private List<(int Pid, string Name)> PipeHolders()
    {
        var self = Environment.ProcessId;
        var pipes = _pipes;
        var holders = new List<(int, string)>();
        if (pipes.Count == 0)
        {
            return holders;
        }

        foreach (var (pid, _, _, _, zombie) in Processes())
        {
            // Only the command's processes can hold the write ends of its pipes; the harness holds the read ends.
            if (zombie || pid == self || pid <= 1)
            {
                continue;
            }

            foreach (var fd in SafeFiles($"/proc/{pid}/fd"))
            {
                string? target;
                try
                {
                    target = new FileInfo(fd).LinkTarget;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The descriptor closed while we looked.
                    continue;
                }

                if (target is not null && pipes.Contains(target))
                {
                    holders.Add((pid, CommandName(pid)));
                    break;
                }
            }
        }

        return holders;
    }

    /// <summary>The kernel's name of the pipe behind <paramref name="stream"/> (<c>pipe:[INODE]</c>), or null.</summary>
    private static string? PipeName(Stream? stream)
    {
        var handle = stream switch
        {
            System.IO.Pipes.PipeStream pipe => pipe.SafePipeHandle.DangerousGetHandle(),
            FileStream file => file.SafeFileHandle.DangerousGetHandle(),
            _ => (nint)(-1),
        };
        try
        {
            return handle < 0 ? null : new FileInfo($"/proc/self/fd/{handle}").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No /proc: the pipes cannot be traced, and only the bounded wait remains.
            return null;
        }
    }

    private static string[] SafeFiles(string directory)
    {
        try
        {
            return Directory.GetFiles(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process ended, or is not ours to inspect.
            return [];
        }
    }

    private static string CommandName(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Ended while we looked.
            return "?";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await KillGroupAsync().ConfigureAwait(false);
        await KillEscapedAsync().ConfigureAwait(false);
        // The pumps end once the killed processes' pipes close; the log outlives them.
        await Task.WhenAny(Task.WhenAll(_stdout, _stderr), Task.Delay(s_killGrace, CancellationToken.None)).ConfigureAwait(false);
        _process.Dispose();
        if (_pidFile is not null)
        {
            File.Delete(_pidFile);
        }

        _log.Dispose();
    }

    /// <summary>TERM to the group, a grace period, then KILL to whatever remains.</summary>
    private async Task KillGroupAsync()
    {
        if (!GroupAlive())
        {
            return;
        }

        _ = Kill(-Id, SigTerm);
        var deadline = Stopwatch.StartNew();
        while (GroupAlive() && deadline.Elapsed < s_killGrace)
        {
            await Task.Delay(50, CancellationToken.None).ConfigureAwait(false);
        }

        if (GroupAlive())
        {
            _ = Kill(-Id, SigKill);
            // Descendants in sessions of their own (a sandbox's processes) are not in the group.
            foreach (var member in Members(Id))
            {
                _ = Kill(member.Pid, SigKill);
            }

            // Reaping is asynchronous; give the kernel a moment so callers see an empty group.
            for (var i = 0; i < 40 && GroupAlive(); i++)
            {
                await Task.Delay(25, CancellationToken.None).ConfigureAwait(false);
            }
        }

        if (!_process.HasExited)
        {
            await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>True while any process of the group exists (signal 0 probes without sending).</summary>
    private bool GroupAlive() => Kill(-Id, 0) == 0 && Members(Id).Any(m => !m.Zombie);

    private void Sample()
    {
        long total = 0;
        foreach (var member in Members(Id))
        {
            total += member.RssPages * s_pageSize;
        }

        if (total > _peakRssBytes)
        {
            _peakRssBytes = total;
        }
    }

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; 0 on success.</summary>
    internal static int Signal(int pid, int signal) => Kill(pid, signal);

    /// <summary>
    /// The processes whose process group is ours, and the descendants of its leader that left it (a sandbox runs in a
    /// session of its own), read from <c>/proc/[pid]/stat</c>.
    /// </summary>
    private static List<(int Pid, long RssPages, bool Zombie)> Members(int pgid)
    {
        var all = Processes().ToList();
        var parents = all.ToDictionary(p => p.Pid, p => p.Ppid);
        return all.Where(p => p.Pgrp == pgid || Descends(p.Pid)).Select(p => (p.Pid, p.RssPages, p.Zombie)).ToList();

        bool Descends(int pid)
        {
            for (var i = 0; i < 64 && parents.TryGetValue(pid, out var parent) && parent > 1; i++, pid = parent)
            {
                if (parent == pgid)
                {
                    return true;
                }
            }

            return false;
        }
    }

    private static IEnumerable<(int Pid, int Ppid, int Pgrp, long RssPages, bool Zombie)> Processes()
    {
        string[] entries;
        try
        {
            entries = Directory.GetDirectories("/proc");
        }
        catch (IOException)
        {
            // No /proc (not Linux): no memory figures, and the kill signal alone must do.
            yield break;
        }

        foreach (var dir in entries)
        {
            var name = Path.GetFileName(dir);
            if (name.Length == 0 || !char.IsAsciiDigit(name[0]))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended between listing and reading.
                continue;
            }

            // Fields after the command name, which is in parentheses and may contain spaces.
            var close = stat.LastIndexOf(')');
            if (close < 0)
            {
                continue;
            }

            var fields = stat[(close + 2)..].Split(' ');
            // fields[0] = state, [1] = ppid, [2] = pgrp, [21] = rss (pages).
            if (fields.Length > 21 && int.TryParse(fields[2], CultureInfo.InvariantCulture, out var pgrp)
                && int.TryParse(fields[1], CultureInfo.InvariantCulture, out var ppid))
            {
                _ = long.TryParse(fields[21], CultureInfo.InvariantCulture, out var rss);
                yield return (int.Parse(name, CultureInfo.InvariantCulture), ppid, pgrp, rss, fields[0] == "Z");
            }
        }
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
        {
            WriteLine(line);
            _onLine?.Invoke(line);
        }
    }

    private void WriteLine(string line) => _log.WriteLine(line);

    private const int SigTerm = 15;
    private const int SigKill = 9;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
