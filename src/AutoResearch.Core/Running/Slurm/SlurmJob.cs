using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Running.Slurm;

/// <summary>
/// One run as a Slurm batch job: a script that runs the command as a local run would (same environment, same sandbox line),
/// submitted held so that its id is recorded before it can start, then released. The harness reads the job's output file
/// as it grows (progress, early stopping and the pace rule see every line), cancels the job at the timeout (counted from
/// when it starts running), on an early stop and on Ctrl-C, and submits it again when the cluster failed it (a node
/// failure, a preemption) rather than its code.
/// </summary>
internal sealed partial class SlurmJob : IRunningCommand
{
    /// <summary>How long the job's time limit runs past the harness's own timeout: the scheduler's backstop for a harness that died.</summary>
    public static readonly TimeSpan LimitMargin = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan s_pump = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan s_endWait = TimeSpan.FromSeconds(90);

    private readonly SlurmClient _client;
    private readonly SlurmSpec _spec;
    private readonly SlurmLaunch _launch;
    private readonly StringBuilder _partial = new();
    private readonly List<(long Offset, string Line)> _late = [];
    private long _offset;
    private Stopwatch? _clock;
    private string? _jobId;
    private bool _ended;
    private bool _jobWrites;

    private SlurmJob(SlurmClient client, SlurmSpec spec, SlurmLaunch launch) => (_client, _spec, _launch) = (client, spec, launch);

    /// <summary>The log the job writes (its output file).</summary>
    public string LogPath => _launch.LogPath;

    /// <summary>The id of the job now submitted for this run (a retry gets a new one).</summary>
    public string JobId => _jobId ?? throw new InvalidOperationException("not submitted");

    /// <summary>
    /// The name of every job of experiment <paramref name="experiment"/> in the workspace at <paramref name="root"/>: the
    /// configured prefix, the workspace (a hash of its path, so two workspaces never share names) and the experiment's id.
    /// </summary>
    public static string Name(SlurmSpec spec, string root, long experiment)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var workspace = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(root))))[..8];
        return string.Create(CultureInfo.InvariantCulture, $"{spec.JobName}-{workspace}-{experiment}");
    }

    /// <summary>Writes the job's script, submits it held, records its id (<see cref="SlurmLaunch.OnSubmitted"/>) and releases it.</summary>
    /// <exception cref="ResearchException">Slurm is missing, or refused the job.</exception>
    public static async Task<SlurmJob> SubmitAsync(SlurmClient client, SlurmSpec spec, SlurmLaunch launch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(launch);
        var job = new SlurmJob(client, spec, launch);
        await job.StartLogAsync().ConfigureAwait(false);
        await job.SubmitAsync(cancellationToken).ConfigureAwait(false);
        return job;
    }

    /// <summary>The arguments of <c>sbatch</c> for this launch (the script comes last, after them).</summary>
    internal IReadOnlyList<string> Arguments()
    {
        // Slurm expands %j and the like in file names; %% is a plain %.
        var output = Path.GetFullPath(_launch.LogPath).Replace("%", "%%", StringComparison.Ordinal);
        var minutes = (int)Math.Ceiling((_launch.Timeout + LimitMargin).TotalMinutes);
        var arguments = new List<string>
        {
            $"--job-name={_launch.Name}",
            $"--output={output}",
            $"--error={output}",
            "--open-mode=append",
            $"--chdir={Path.GetFullPath(_launch.WorkingDirectory)}",
            // The harness decides what runs again, and records it; Slurm requeueing on its own would run the code twice unseen.
            "--no-requeue",
            string.Create(CultureInfo.InvariantCulture, $"--time={minutes}"),
            "--export=ALL",
            "--ntasks=1",
        };
        arguments.AddRange(Resources(_spec));
        return arguments;
    }

    /// <summary>
    /// The launcher of an interactive command of experiment <paramref name="experiment"/> (trusted scoring's servers, which
    /// talk to the harness over stdin and stdout): <c>srun</c> with a slot's resources, forwarding both streams unbuffered.
    /// </summary>
    public static IReadOnlyList<string> Srun(SlurmSpec spec, string root, long experiment, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var minutes = (int)Math.Ceiling((timeout + LimitMargin).TotalMinutes);
        return ["srun", "--quiet", "--unbuffered", "--ntasks=1", "--export=ALL", "--kill-on-bad-exit=1", $"--job-name={Name(spec, root, experiment)}",
            string.Create(CultureInfo.InvariantCulture, $"--time={minutes}"), .. Resources(spec)];
    }

    /// <summary>A slot's resources as sbatch and srun options: partition, account, gres, cores, memory, and the extra arguments.</summary>
    private static List<string> Resources(SlurmSpec spec)
    {
        var arguments = new List<string>();
        AddIf(arguments, "--partition", spec.Partition);
        AddIf(arguments, "--account", spec.Account);
        AddIf(arguments, "--gres", spec.Gres);
        AddIf(arguments, "--cpus-per-task", spec.Cpus?.ToString(CultureInfo.InvariantCulture));
        AddIf(arguments, "--mem", spec.MemoryMb is { } mb ? string.Create(CultureInfo.InvariantCulture, $"{mb}M") : null);
        arguments.AddRange(spec.ExtraArguments);
        return arguments;
    }

    /// <summary>Cancels every job of experiment <paramref name="experiment"/> that has not ended (found by name) and waits until they have; returns their ids.</summary>
    public static async Task<IReadOnlyList<string>> CancelAllAsync(SlurmClient client, SlurmSpec spec, string root, long experiment)
    {
        ArgumentNullException.ThrowIfNull(client);
        var ids = await client.JobsNamedAsync(Name(spec, root, experiment)).ConfigureAwait(false);
        return await CancelAsync(client, ids).ConfigureAwait(false);
    }

    /// <summary>
    /// Cancels the jobs <paramref name="ids"/> and waits until the scheduler says each has ended (so nothing of them still
    /// writes a worktree that is about to be reused); returns the ones the cancel reached while they were queued or running.
    /// </summary>
    public static async Task<IReadOnlyList<string>> CancelAsync(SlurmClient client, IEnumerable<string> ids)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(ids);
        var cancelled = new List<string>();
        foreach (var id in ids.Distinct(StringComparer.Ordinal))
        {
            // scancel accepts a job that has ended already; only one still queued or running counts as cancelled.
            if (await client.StateAsync(id, CancellationToken.None).ConfigureAwait(false) is { IsTerminal: false })
            {
                await client.CancelAsync(id).ConfigureAwait(false);
                cancelled.Add(id);
            }
        }

        foreach (var id in cancelled)
        {
            var waited = Stopwatch.StartNew();
            while (waited.Elapsed < s_endWait)
            {
                var state = await client.StateAsync(id, CancellationToken.None).ConfigureAwait(false);
                if (state is null || state.IsTerminal)
                {
                    break;
                }

                await Task.Delay(s_pump, CancellationToken.None).ConfigureAwait(false);
            }
        }

        return cancelled;
    }

    /// <summary>The batch script: the command as a local run would start it, and its exit status kept beside the log.</summary>
    internal string Script()
    {
        var line = string.Join(' ', _launch.Prefix.Append("bash").Append("-c").Append(_launch.Command).Select(Quote));
        return $"""
            #!/bin/bash
            # One run of an autoresearch experiment as a Slurm job, written by the harness (which reads its output as it grows).
            cd -- {Quote(Path.GetFullPath(_launch.WorkingDirectory))} || exit 125
            {line}
            status=$?
            echo "$status" > {Quote(ExitFile(_launch.LogPath))}
            exit "$status"

            """.ReplaceLineEndings("\n");
    }

    /// <summary>Cancels the job if it may still run (a harness leaving early); waits for nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_jobId is not null && !_ended)
        {
            await _client.CancelAsync(_jobId, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>A fresh log with the header, which is not read back as output (a local run's header is not either).</summary>
    private async Task StartLogAsync()
    {
        await File.WriteAllTextAsync(_launch.LogPath, _launch.Header is null ? "" : _launch.Header + "\n", CancellationToken.None).ConfigureAwait(false);
        (_offset, _partial.Length) = (new FileInfo(_launch.LogPath).Length, 0);
    }

    /// <summary>The file the script writes its exit status to, beside the log.</summary>
    internal static string ExitFile(string logPath) => Path.ChangeExtension(logPath, ".exit");

    private async Task SubmitAsync(CancellationToken cancellationToken)
    {
        var script = Path.ChangeExtension(_launch.LogPath, ".sbatch");
        File.Delete(ExitFile(_launch.LogPath));
        await File.WriteAllTextAsync(script, Script(), CancellationToken.None).ConfigureAwait(false);
        var arguments = Arguments();
        var id = await _client.SubmitHeldAsync(arguments, script, _launch.Environment, cancellationToken).ConfigureAwait(false);
        (_jobId, _ended) = (id, false);
        try
        {
            if (_launch.OnSubmitted is { } submitted)
            {
                await submitted(id, cancellationToken).ConfigureAwait(false);
            }

            // Written before the release: from then on the log is the job's.
            Note($"slurm job {id} submitted: sbatch {string.Join(' ', arguments)} {script}");
            await _client.ReleaseAsync(id, cancellationToken).ConfigureAwait(false);
            _jobWrites = true;
        }
        catch
        {
            // Never a job left held with nobody to release or cancel it.
            await _client.CancelAsync(id, CancellationToken.None).ConfigureAwait(false);
            Ended();
            throw;
        }
    }

    private async Task RetryAsync(SlurmJobState state, int retry, CancellationToken cancellationToken)
    {
        var failed = JobId;
        var kept = string.Create(CultureInfo.InvariantCulture, $"{_launch.LogPath}.job{failed}");
        File.Move(_launch.LogPath, kept, overwrite: true);
        await StartLogAsync().ConfigureAwait(false);
        Note($"job {failed} ended {state.Describe()}: the cluster's failure, not the code's; its output is in {kept}; " +
            $"submitting again (retry {retry} of {_spec.Retries}, [slurm] retries)");
        await SubmitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void AddIf(List<string> arguments, string option, string? value)
    {
        if (value is not null)
        {
            arguments.Add($"{option}={value}");
        }
    }

    /// <summary>A single-quoted shell word.</summary>
    internal static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
