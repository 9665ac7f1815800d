using System.Globalization;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Running;

/// <summary>
/// Runs a spec's command in a worktree as one experiment and reads what it produced: in the spec's sandbox when it has
/// one, and, under <c>[score] mode = "trusted"</c>, followed by the scoring phase whose metric replaces the self-reported one.
/// </summary>
public sealed partial class ExperimentRunner
{
    /// <summary>How many log lines a result keeps inline for reports and prompts.</summary>
    public const int TailLines = 40;

    private readonly ResearchSpec _spec;
    private readonly IReadOnlyDictionary<string, string?> _environment;
    private readonly MachineProbe _machine;

    /// <param name="spec">The validated spec.</param>
    /// <param name="environment">Extra variables for every run (e.g. <c>AUTORESEARCH_LIB</c>).</param>
    /// <param name="machine">What each run records about the machine and its load; default <see cref="MachineProbe.Local"/>.</param>
    public ExperimentRunner(ResearchSpec spec, IReadOnlyDictionary<string, string?>? environment = null, MachineProbe? machine = null)
    {
        _spec = spec ?? throw new ArgumentNullException(nameof(spec));
        _environment = environment ?? new Dictionary<string, string?>();
        _machine = machine ?? MachineProbe.Local;
    }

    /// <summary>
    /// Runs <c>[run] command</c> in <paramref name="worktree"/> with output to <paramref name="logName"/> in
    /// <paramref name="runDirectory"/>, under the spec's hard timeout. A <c>{seed}</c> in the command becomes
    /// <paramref name="seed"/>, the same value the run sees as <c>AUTORESEARCH_SEED</c>.
    /// </summary>
    /// <param name="experiment">The experiment's id, passed as <c>AUTORESEARCH_EXPERIMENT</c>.</param>
    /// <param name="seed">Passed as <c>AUTORESEARCH_SEED</c>.</param>
    /// <param name="onLine">Called with each output line as it comes.</param>
    /// <param name="stopWhen">
    /// Called with each learning-curve point as it is printed; returning true stops the run at once (its whole process group
    /// is killed) and the result says <see cref="RunResult.Stopped"/>.
    /// </param>
    /// <param name="slot">Where the run may execute: extra variables (<c>CUDA_VISIBLE_DEVICES</c>, <c>AUTORESEARCH_THREADS</c>) and CPU affinity.</param>
    /// <param name="beforeScoring">
    /// Called between training and trusted scoring, when every process of training has ended: the loop makes the worktree a
    /// clean checkout of the candidate there, so scoring never runs what training left behind (only the checkpoint, which
    /// lives in the run directory, carries over).
    /// </param>
    /// <param name="readOnlyFiles">
    /// Files of the worktree (relative paths) that the run may not change: under the sandbox each is bound read-only (up to
    /// <see cref="MaxReadOnlyBinds"/>; the hashes after the run check them all anyway).
    /// </param>
    /// <param name="logName">The log's file name in <paramref name="runDirectory"/>; default <c>run.log</c>. Each run of an
    /// experiment that is measured more than once gets its own, so none overwrites another.</param>
    /// <param name="onJob">
    /// Under <c>[run] executor = "slurm"</c>: called with a log's name and its job's id once the job is submitted and before it
    /// can start (so the id is recorded before anything runs), and with a null id once the job has ended.
    /// </param>
    public async Task<RunResult> RunAsync(
        string worktree,
        string runDirectory,
        long experiment,
        int seed,
        Action<string>? onLine = null,
        Func<CurvePoint, bool>? stopWhen = null,
        SlotResources? slot = null,
        Func<CancellationToken, Task>? beforeScoring = null,
        IReadOnlyList<string>? readOnlyFiles = null,
        string logName = "run.log",
        Action<string, string?>? onJob = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(logName);
        Directory.CreateDirectory(runDirectory);
        var logPath = Path.Combine(runDirectory, logName);
        var environment = new Dictionary<string, string?>(_environment)
        {
            ["AUTORESEARCH_SEED"] = seed.ToString(CultureInfo.InvariantCulture),
            ["AUTORESEARCH_RUN_DIR"] = Path.GetFullPath(runDirectory),
            ["AUTORESEARCH_EXPERIMENT"] = experiment.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in slot?.Environment ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Why the harness stopped the run, if it did: 0 it did not, StoppedEarly (stopWhen), Overran (PaceWatch).
        const int StoppedEarly = 1, Overran = 2;
        var stopped = 0;
        var gate = new Lock();
        // Every run is watched for a pace that cannot finish before the timeout; only a first run of a candidate is also
        // watched by the early-stopping rule (stopWhen).
        var pace = new PaceWatch(_spec.Run.Timeout);
        var started = System.Diagnostics.Stopwatch.StartNew();
        string? overrun = null;
        void Lines(string line)
        {
            onLine?.Invoke(line);
            var match = _spec.Run.Progress.Match(line);
            // stdout and stderr are pumped on two threads; the rules see one point at a time.
            lock (gate)
            {
                if (!match.Success || Volatile.Read(ref stopped) != 0)
                {
                    return;
                }

                var point = new CurvePoint(
                    ObjectiveSpec.ParseNumber(match.Groups["progress"].Value), ObjectiveSpec.ParseNumber(match.Groups["value"].Value));
                if (!double.IsFinite(point.Progress))
                {
                    return;
                }

                if (pace.Observe(point.Progress, started.Elapsed))
                {
                    overrun = pace.Reason;
                    stopped = Overran;
                    stop.Cancel();
                }
                else if (stopWhen is not null && stopWhen(point))
                {
                    stopped = StoppedEarly;
                    stop.Cancel();
                }
            }
        }

        // A job that waited in the queue starts its clock when it starts running, and again after a retry.
        void Restarted()
        {
            lock (gate)
            {
                pace = new PaceWatch(_spec.Run.Timeout);
                started.Restart();
            }
        }

        var trusted = _spec.Score.Mode == ScoreMode.Trusted;
        var data = trusted && _spec.Score.Serve is not null
            ? TrustedData.Prepare(_spec, name => _environment.TryGetValue(name, out var value) ? value : Environment.GetEnvironmentVariable(name))
            : null;
        if (trusted)
        {
            var checkpoint = Path.Combine(Path.GetFullPath(runDirectory), "checkpoint.bin");
            File.Delete(checkpoint);
            environment["AUTORESEARCH_CHECKPOINT"] = checkpoint;
        }

        if (data is not null)
        {
            environment["AUTORESEARCH_DATA"] = data.TrainPath;
            environment["AUTORESEARCH_SPLIT"] = "train";
        }

        var sandboxed = _spec.Run.Sandbox.Kind == SandboxKind.Bwrap;
        if (sandboxed)
        {
            SandboxEnvironment(environment, runDirectory);
        }

        ProcessOutcome outcome;
        string? limitFailure = null;
        // Disposed (a last sample taken) as soon as the command has ended; the declaration only covers a throw before that.
        var sampler = _machine.Sample();
        await using var sampling = sampler.ConfigureAwait(false);
        using (var sandbox = sandboxed
            ? Sandbox.Prepare(
                _spec.Run.Sandbox,
                new SandboxMounts(
                    worktree,
                    [worktree, runDirectory],
                    [.. data is null ? [] : new[] { data.TrainPath }, Path.Combine(worktree, ".git"), .. ToolBinds(), .. ReadOnlyBinds(worktree, readOnlyFiles)],
                    HiddenFromTraining(worktree, data)),
                _spec.Run.Timeout,
                localLimits: !OnSlurm)
            : null)
        {
            var header = sandbox?.Description ?? (trusted
                ? "[autoresearch] trusted scoring without a sandbox: the run can still read the held-out data from disk; set [run] sandbox = \"bwrap\" to hide it"
                : null);
            outcome = await ExecuteAsync(
                RunSpec.WithSeed(_spec.Run.Command, seed), worktree, logPath, environment, Lines, slot, sandbox, header, experiment, onJob, Restarted, stop.Token)
                .ConfigureAwait(false);

            if (sandbox is not null)
            {
                limitFailure = sandbox.LimitFailure();
                outcome = outcome with { PeakRssBytes = Math.Max(outcome.PeakRssBytes, sandbox.Cgroups.PeakMemoryBytes) };
            }
        }

        await sampler.DisposeAsync().ConfigureAwait(false);
        var load = sampler.Mean;

        var wasStopped = Volatile.Read(ref stopped) == StoppedEarly && !cancellationToken.IsCancellationRequested;
        if (wasStopped)
        {
            outcome = outcome with { Cancelled = false };
        }

        var overran = Volatile.Read(ref stopped) == Overran && !cancellationToken.IsCancellationRequested;
        if (overran)
        {
            // It would have timed out: it is a timeout, cut short.
            outcome = outcome with { Cancelled = false, TimedOut = true };
            await File.AppendAllTextAsync(logPath, $"[autoresearch] {overrun}\n", CancellationToken.None).ConfigureAwait(false);
        }

        // The scheduler's reason for ending a job (out of memory, a node that failed past every retry) is a limit of the same kind.
        limitFailure ??= outcome.Failure;
        if (limitFailure is not null && outcome.Failure != limitFailure)
        {
            await File.AppendAllTextAsync(logPath, $"[autoresearch] {limitFailure}\n", CancellationToken.None).ConfigureAwait(false);
        }

        var log = await File.ReadAllTextAsync(logPath, CancellationToken.None).ConfigureAwait(false);
        var output = RunOutput.Parse(log, _spec.Objective, _spec.Run.Progress);
        Scored? scored = null;
        if (trusted)
        {
            var trained = outcome.ExitCode == 0 && !outcome.TimedOut && !outcome.Cancelled && !wasStopped && limitFailure is null;
            scored = new Scored(null, null, false, null);
            if (trained)
            {
                try
                {
                    if (beforeScoring is not null)
                    {
                        await beforeScoring(cancellationToken).ConfigureAwait(false);
                    }

                    scored = await ScoreAsync(worktree, runDirectory, environment, data, slot, output, logPath, experiment, onJob, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Ctrl-C while scoring: the servers are gone; the run counts as interrupted, like one cut off in training.
                    outcome = outcome with { Cancelled = true };
                }
            }

            output = scored.Output(output, _spec.Objective.Metric);
            log = await File.ReadAllTextAsync(logPath, CancellationToken.None).ConfigureAwait(false);
        }

        var peakMemoryMb = PeakMemoryMb(output, outcome);
        return new RunResult(
            outcome.ExitCode,
            outcome.TimedOut,
            outcome.Cancelled,
            outcome.Wall,
            peakMemoryMb,
            output,
            logPath,
            Tail(log, TailLines))
        {
            Stopped = wasStopped,
            Overrun = overran ? overrun : null,
            LimitFailure = limitFailure,
            ScoreFailure = scored?.Failure,
            ScoreViolation = scored?.Violation ?? false,
            Flag = scored?.Flag,
            Escaped = outcome.Escaped,
            Sandboxed = sandboxed,
            Cost = CostReader.Read(log, output, _spec.Cost, outcome.Wall.TotalSeconds, peakMemoryMb),
            Conditions = _machine.Conditions(load),
        };
    }

    /// <summary>The most read-only files bound one by one into a sandbox (each is a mount); past it, only the hashes guard them.</summary>
    public const int MaxReadOnlyBinds = 2000;

    /// <summary>The absolute paths of <paramref name="files"/> in <paramref name="worktree"/>, or none past <see cref="MaxReadOnlyBinds"/>.</summary>
    internal static IEnumerable<string> ReadOnlyBinds(string worktree, IReadOnlyList<string>? files) =>
        files is null || files.Count > MaxReadOnlyBinds ? [] : files.Select(f => Path.Combine(worktree, f));

    /// <summary>The last <paramref name="lines"/> non-empty lines of <paramref name="text"/>.</summary>
    public static string Tail(string text, int lines)
    {
        ArgumentNullException.ThrowIfNull(text);
        var all = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
        return string.Join('\n', all.TakeLast(lines));
    }

    private double PeakMemoryMb(RunOutput output, ProcessOutcome outcome)
    {
        // Prefer what the run measured itself (GPU memory is invisible to us); else our RSS samples.
        foreach (var key in new[] { _spec.MemoryMetric, "peak_vram_mb", "peak_memory_mb" })
        {
            if (key is not null && output.Metrics.TryGetValue(key, out var mb) && double.IsFinite(mb))
            {
                return mb;
            }
        }

        return outcome.PeakRssBytes / (1024.0 * 1024.0);
    }
}
