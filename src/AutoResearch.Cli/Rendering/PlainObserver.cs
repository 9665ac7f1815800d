using System.Collections.Concurrent;
using System.Globalization;
using AutoResearch.Core.Loop;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using Spectre.Console;

namespace AutoResearch.Cli.Rendering;

/// <summary>
/// One line per event, for logs and pipes; and while a run goes on, a progress line every <see cref="Interval"/> (elapsed
/// against the limit, the last learning-curve point or metric seen), so a log under nohup or a scheduler shows life.
/// </summary>
internal sealed class PlainObserver : IResearchObserver, IDisposable
{
    /// <summary>How often a running experiment prints its progress line by default.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);

    private readonly IAnsiConsole _console;
    private readonly ResearchSpec _spec;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<long, Running> _running = new();
    private readonly List<ExperimentRecord> _finished = [];
    private readonly Lock _write = new();

    /// <param name="console">Where lines go.</param>
    /// <param name="spec">The spec: the metric, the progress pattern, the cost measure.</param>
    /// <param name="time">The clock and its timers; default the system's.</param>
    /// <param name="interval">Between progress lines of a running experiment; default <see cref="DefaultInterval"/>.</param>
    public PlainObserver(IAnsiConsole console, ResearchSpec spec, TimeProvider? time = null, TimeSpan? interval = null)
    {
        _console = console;
        _spec = spec;
        _time = time ?? TimeProvider.System;
        Interval = interval ?? DefaultInterval;
    }

    /// <summary>Between progress lines of a running experiment.</summary>
    public TimeSpan Interval { get; }

    public void OnRunStarted(RunRecord run, bool resumed, string worktree) =>
        Line($"{(resumed ? "resuming" : "starting")} run [bold]{Markup.Escape(run.Tag)}[/] on branch {Markup.Escape(run.Branch)} (worktree {Markup.Escape(worktree)})");

    public void OnMessage(string message) =>
        Line(message.Contains(": warning: ", StringComparison.Ordinal) ? $"[yellow]{Markup.Escape(message)}[/]" : $"[dim]{Markup.Escape(message)}[/]");

    public void OnExperimentStarted(ExperimentRecord experiment) =>
        Line($"[[{experiment.Seq}]] {(experiment.IsBaseline ? "baseline" : "proposing")}...");

    public void OnRunning(ExperimentRecord experiment, TimeSpan timeout)
    {
        Line($"[[{experiment.Seq}]] running (limit {timeout.TotalSeconds:0}s): {Markup.Escape(experiment.Description ?? "")}");
        var running = new Running(experiment.Seq, timeout, _time.GetTimestamp());
        running.Timer = _time.CreateTimer(_ => Progress(running), null, Interval, Interval);
        if (_running.TryGetValue(experiment.Id, out var earlier))
        {
            // A confirmation run of the same experiment: its clock starts again.
            earlier.Timer?.Dispose();
        }

        _running[experiment.Id] = running;
    }

    public void OnOutput(ExperimentRecord experiment, string line)
    {
        if (!_running.TryGetValue(experiment.Id, out var running))
        {
            return;
        }

        var curve = _spec.Run.Progress.Match(line);
        if (curve.Success)
        {
            running.Last = $"progress {curve.Groups["progress"].Value}% loss {curve.Groups["value"].Value}";
            return;
        }

        var metric = _spec.Objective.Pattern.Match(line);
        if (metric.Success)
        {
            running.Last = $"{_spec.Objective.Metric} {metric.Groups["value"].Value}";
        }
    }

    public void OnExperimentFinished(ExperimentRecord experiment, ExperimentRecord best)
    {
        if (_running.TryRemove(experiment.Id, out var running))
        {
            running.Timer?.Dispose();
        }

        string? cost;
        lock (_finished)
        {
            _finished.Add(experiment);
            cost = CostRatio.Describe(experiment, _finished, _spec.Cost.Measure);
        }

        var metric = _spec.Objective.Metric;
        var color = Format.Color(experiment);
        var status = Format.Status(experiment);
        var tail = (experiment.Error is null ? "" : $" ({experiment.Error})") + (experiment.Decision is null ? "" : $" [{experiment.Decision}]");
        var mean = experiment.Runs.Count > 1 ? $" (mean of {experiment.Runs.Count} seeds)" : "";
        Line($"[[{experiment.Seq}]] [{color}]{status}[/] {metric}={Format.Metric(experiment.Metric)}{mean} best={Format.Metric(best.Metric)} " +
             $"{Format.Seconds(experiment.RunSeconds)} {Markup.Escape(experiment.Description ?? "")}{(cost is null ? "" : $" (cost {cost})")}{Markup.Escape(tail)}");
    }

    public void Dispose()
    {
        foreach (var running in _running.Values)
        {
            running.Timer?.Dispose();
        }

        _running.Clear();
    }

    /// <summary>The progress line of a running experiment: <c>[3] 1m30s of the 10m00s limit; progress 40% loss 2.31</c>.</summary>
    private void Progress(Running running)
    {
        var elapsed = _time.GetElapsedTime(running.Started);
        Line($"[[{running.Seq}]] {Clock(elapsed)} of the {Clock(running.Timeout)} limit; {Markup.Escape(running.Last ?? "no progress line yet")}");
    }

    private static string Clock(TimeSpan t) =>
        string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalMinutes}m{t.Seconds:00}s");

    /// <summary>One whole line (timers and the loop write from different threads).</summary>
    private void Line(string markup)
    {
        lock (_write)
        {
            _console.MarkupLine(markup);
        }
    }

    private sealed class Running(int seq, TimeSpan timeout, long started)
    {
        public int Seq { get; } = seq;

        public TimeSpan Timeout { get; } = timeout;

        public long Started { get; } = started;

        private string? _last;

        public ITimer? Timer { get; set; }

        /// <summary>The last curve point or metric the run printed (written by an output thread, read by the timer's).</summary>
        public string? Last
        {
            get => Volatile.Read(ref _last);
            set => Volatile.Write(ref _last, value);
        }
    }
}
