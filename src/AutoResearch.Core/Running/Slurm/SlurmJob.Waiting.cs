using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace AutoResearch.Core.Running.Slurm;

/// <summary>Waiting for the job: its output read as it grows, its state polled, its end turned into an outcome.</summary>
internal sealed partial class SlurmJob
{
    /// <summary>
    /// Reads the job's output as it grows until it ends; cancels it when <paramref name="timeout"/> has passed since it started
    /// running, or when <paramref name="cancellationToken"/> fires (an early stop, Ctrl-C).
    /// </summary>
    public async Task<ProcessOutcome> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var retries = 0;
        string? lastNote = null;
        var sinceState = Stopwatch.StartNew();
        var unreachable = (Stopwatch?)null;
        var first = true;
        while (true)
        {
            // Output means it runs, whether or not the scheduler said so yet: its clock must start before its first line is read.
            if (_clock is null && File.Exists(LogPath) && new FileInfo(LogPath).Length > _offset)
            {
                Running(null);
            }

            if (_clock is not null)
            {
                Pump();
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return await EndAsync(timedOut: false).ConfigureAwait(false);
            }

            if (_clock is not null && _clock.Elapsed > timeout)
            {
                return await EndAsync(timedOut: true).ConfigureAwait(false);
            }

            if (first || sinceState.Elapsed >= _spec.Poll)
            {
                first = false;
                sinceState.Restart();
                SlurmJobState? state;
                try
                {
                    state = await _client.StateAsync(JobId, CancellationToken.None).ConfigureAwait(false);
                    unreachable = null;
                }
                catch (ResearchException e)
                {
                    // The controller is restarting or the network hiccups: keep waiting, say so once, give up only after long.
                    if (unreachable is null)
                    {
                        Note($"cannot read the state of job {JobId}: {e.Message}; trying again");
                    }

                    unreachable ??= Stopwatch.StartNew();
                    if (unreachable.Elapsed > (timeout > TimeSpan.FromMinutes(10) ? timeout : TimeSpan.FromMinutes(10)))
                    {
                        await _client.CancelAsync(JobId, CancellationToken.None).ConfigureAwait(false);
                        Pump(flush: true);
                        Stopped();
                        return Outcome(-1, string.Create(CultureInfo.InvariantCulture,
                            $"the scheduler did not answer for {unreachable.Elapsed.TotalMinutes:F0} minutes about job {JobId} (cancel requested)"));
                    }

                    await DelayAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (state is null)
                {
                    // Ended and already forgotten by the controller (it keeps finished jobs for MinJobAge only): the script's own record.
                    Pump(flush: true);
                    Stopped();
                    Ended();
                    return File.Exists(ExitFile(LogPath)) && int.TryParse(File.ReadAllText(ExitFile(LogPath)).Trim(), CultureInfo.InvariantCulture, out var code)
                        ? Outcome(code)
                        : Outcome(-1, $"Slurm no longer knows job {JobId}, and it left no exit status");
                }

                if (state.IsPending && _clock is null)
                {
                    var note = state.Reason is { } reason ? $"job {JobId} waits in the queue: {reason}" : $"job {JobId} waits in the queue";
                    if (note != lastNote)
                    {
                        Note(note);
                        lastNote = note;
                    }
                }
                else if (!state.IsTerminal && _clock is null)
                {
                    Running(state.Node);
                }
                else if (state.IsTerminal)
                {
                    // The file system may show the last lines a moment after the scheduler says the job ended.
                    await Task.Delay(s_pump, CancellationToken.None).ConfigureAwait(false);
                    Pump(flush: true);
                    Stopped();
                    Ended();
                    if (state.IsClusterFailure && retries < _spec.Retries)
                    {
                        retries++;
                        await RetryAsync(state, retries, cancellationToken).ConfigureAwait(false);
                        (_clock, lastNote, first) = (null, null, true);
                        continue;
                    }

                    return Outcome(state, retries);
                }
            }

            await DelayAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Cancels the job and waits until the scheduler says it ended.</summary>
    private async Task<ProcessOutcome> EndAsync(bool timedOut)
    {
        await _client.CancelAsync(JobId, CancellationToken.None).ConfigureAwait(false);
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < s_endWait)
        {
            SlurmJobState? state;
            try
            {
                state = await _client.StateAsync(JobId, CancellationToken.None).ConfigureAwait(false);
            }
            catch (ResearchException)
            {
                // Unreachable for a moment: ask again.
                state = new SlurmJobState("UNKNOWN", null, 0, 0, null);
            }

            if (state is null || state.IsTerminal)
            {
                Pump(flush: true);
                Stopped();
                Ended();
                return new ProcessOutcome(-1, timedOut, !timedOut, Wall, 0);
            }

            Pump();
            await Task.Delay(s_pump, CancellationToken.None).ConfigureAwait(false);
        }

        Pump(flush: true);
        Stopped();
        return Outcome(-1, string.Create(CultureInfo.InvariantCulture, $"job {JobId} was still not over {s_endWait.TotalSeconds:0} s after scancel; check squeue")) with
        {
            TimedOut = timedOut,
            Cancelled = !timedOut,
        };
    }

    private ProcessOutcome Outcome(SlurmJobState state, int retries)
    {
        var memory = _spec.MemoryMb is { } mb ? string.Create(CultureInfo.InvariantCulture, $" of {mb} MB ([slurm] memory_mb)") : "";
        return state.State switch
        {
            "COMPLETED" => Outcome(state.ExitCode),
            "FAILED" when state.Signal != 0 => Outcome(128 + state.Signal),
            "FAILED" when state.ExitCode != 0 => Outcome(state.ExitCode),
            "TIMEOUT" => new ProcessOutcome(-1, TimedOut: true, Cancelled: false, Wall, 0),
            "OUT_OF_MEMORY" => Outcome(-1, $"Slurm ended job {JobId} for going over its memory{memory}"),
            "CANCELLED" => Outcome(-1, $"job {JobId} was cancelled outside the harness ({state.Describe()})"),
            _ when state.IsClusterFailure => Outcome(-1,
                $"the cluster failed job {JobId}: {state.Describe()}, after {retries} retr{(retries == 1 ? "y" : "ies")} ([slurm] retries)"),
            _ => Outcome(-1, $"Slurm ended job {JobId}: {state.Describe()}"),
        };
    }

    private ProcessOutcome Outcome(int exitCode, string? failure = null)
    {
        if (failure is not null)
        {
            Note(failure);
        }

        return new ProcessOutcome(exitCode, false, false, Wall, 0) { Failure = failure };
    }

    /// <summary>How long the job has run (not counting its wait in the queue).</summary>
    private TimeSpan Wall => _clock?.Elapsed ?? TimeSpan.Zero;

    /// <summary>The job started running (on <paramref name="node"/>, when the scheduler said which): its clock starts.</summary>
    private void Running(string? node)
    {
        _clock = Stopwatch.StartNew();
        Note($"job {JobId} running{(node is null ? "" : $" on {node}")}");
        _launch.OnRunning?.Invoke();
    }

    /// <summary>The job is over: its id need not be kept any more.</summary>
    private void Ended()
    {
        if (_ended || _jobId is null)
        {
            return;
        }

        _ended = true;
        _launch.OnEnded?.Invoke(_jobId);
    }

    /// <summary>
    /// A line of the harness's own, shown at once and kept in the log. Once released the job may write the log at any
    /// moment, and a second writer could overwrite its lines, so from then until it has ended a note waits and is written
    /// after its output.
    /// </summary>
    private void Note(string text)
    {
        var line = $"[autoresearch] {text}";
        _launch.OnLine?.Invoke(line);
        if (_jobWrites)
        {
            // Where it belongs: after the last whole line read so far (the partial line holds one byte per character).
            _late.Add((_offset - _partial.Length, line));
        }
        else
        {
            // Not read back: before its release and after its end the job writes nothing, so the log ends with this line.
            File.AppendAllText(_launch.LogPath, line + "\n");
            _offset = new FileInfo(_launch.LogPath).Length;
        }
    }

    /// <summary>The job is no longer writing its log: the notes held back go in, each where it was made among the job's lines.</summary>
    private void Stopped()
    {
        _jobWrites = false;
        if (_late.Count > 0)
        {
            var log = File.ReadAllBytes(_launch.LogPath);
            using (var merged = new FileStream(_launch.LogPath, FileMode.Create, FileAccess.Write))
            {
                var at = 0L;
                foreach (var (offset, line) in _late)
                {
                    var end = Math.Clamp(offset, at, log.Length);
                    merged.Write(log, (int)at, (int)(end - at));
                    if (end > 0 && log[end - 1] != (byte)'\n')
                    {
                        merged.WriteByte((byte)'\n');
                    }

                    merged.Write(Encoding.UTF8.GetBytes(line + "\n"));
                    at = end;
                }

                merged.Write(log, (int)at, (int)(log.Length - at));
            }

            _late.Clear();
        }

        // Whatever is in the log now has been shown.
        _offset = new FileInfo(_launch.LogPath).Length;
        _partial.Clear();
    }

    /// <summary>Hands every complete line the log gained to <see cref="SlurmLaunch.OnLine"/>; with <paramref name="flush"/> the last partial one too.</summary>
    private void Pump(bool flush = false)
    {
        try
        {
            using var stream = new FileStream(_launch.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (stream.Length > _offset)
            {
                stream.Seek(_offset, SeekOrigin.Begin);
                var buffer = new byte[stream.Length - _offset];
                var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                _offset += read;
                // Bytes, not characters, are counted; a character split across two reads is decoded once whole (the partial line keeps its bytes).
                _partial.Append(Encoding.Latin1.GetString(buffer, 0, read));
            }
        }
        catch (FileNotFoundException)
        {
            // Not created yet (the job has not started): nothing to read.
            return;
        }

        var text = _partial.ToString();
        var end = text.LastIndexOf('\n');
        var complete = flush ? text : end < 0 ? "" : text[..(end + 1)];
        _partial.Clear().Append(text[complete.Length..]);
        foreach (var line in complete.Split('\n'))
        {
            var trimmed = line.TrimEnd('\r');
            if (trimmed.Length > 0 || line.Length > 0)
            {
                _launch.OnLine?.Invoke(Encoding.UTF8.GetString(Encoding.Latin1.GetBytes(trimmed)));
            }
        }
    }

    private static async Task DelayAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(s_pump, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The loop ends the job on its next turn.
        }
    }
}
