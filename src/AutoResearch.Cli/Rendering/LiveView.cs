using System.Diagnostics;
using AutoResearch.Core.Loop;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace AutoResearch.Cli.Rendering;

/// <summary>
/// The live terminal view: the current experiment and its elapsed time against the timeout, the last progress
/// line, the best so far and the latest decisions. The loop reports into it; a timer redraws it.
/// </summary>
internal sealed class LiveView(ResearchSpec spec) : IResearchObserver
{
    private readonly Lock _lock = new();
    private readonly List<ExperimentRecord> _recent = [];
    private readonly List<string> _messages = [];
    // In flight, by experiment id: one per parallel slot.
    private readonly SortedDictionary<long, InFlight> _current = [];
    private RunRecord? _run;
    private ExperimentRecord? _best;
    private TimeSpan _timeout;

    /// <summary>Shows the view while <paramref name="work"/> runs; returns its result.</summary>
    public async Task<T> ShowAsync<T>(IAnsiConsole console, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        T result = default!;
        await console.Live(Render()).AutoClear(false).StartAsync(async context =>
        {
            var task = work();
            while (!task.IsCompleted)
            {
                context.UpdateTarget(Render());
                await Task.WhenAny(task, Task.Delay(250, CancellationToken.None));
            }

            context.UpdateTarget(Render());
            result = await task;
        });
        return result;
    }

    public void OnRunStarted(RunRecord run, bool resumed, string worktree)
    {
        lock (_lock)
        {
            _run = run;
            _messages.Add($"{(resumed ? "resumed" : "started")} run {run.Tag} on {run.Branch}");
        }
    }

    public void OnMessage(string message)
    {
        lock (_lock)
        {
            _messages.Add(message);
        }
    }

    public void OnExperimentStarted(ExperimentRecord experiment)
    {
        lock (_lock)
        {
            _current[experiment.Id] = new InFlight(experiment, experiment.IsBaseline ? "baseline" : "proposing");
        }
    }

    public void OnRunning(ExperimentRecord experiment, TimeSpan timeout)
    {
        lock (_lock)
        {
            _current[experiment.Id] = new InFlight(experiment, experiment.Runs.Count > 0 && !experiment.IsBaseline ? "confirming" : "running");
            _timeout = timeout;
        }
    }

    public void OnOutput(ExperimentRecord experiment, string line)
    {
        lock (_lock)
        {
            if (_current.TryGetValue(experiment.Id, out var flight))
            {
                flight.LastLine = line;
                if (spec.Run.Progress.IsMatch(line))
                {
                    flight.LastProgress = line.Trim();
                }
            }
        }
    }

    public void OnExperimentFinished(ExperimentRecord experiment, ExperimentRecord best)
    {
        lock (_lock)
        {
            _recent.Add(experiment);
            _best = best;
            _current.Remove(experiment.Id);
        }
    }

    private IRenderable Render()
    {
        lock (_lock)
        {
            var metric = spec.Objective.Metric;
            var grid = new Grid().AddColumn().AddColumn();
            grid.AddRow(new Markup("[bold]run[/]"), new Text(_run is null ? "-" : $"{_run.Tag} ({_run.Branch})"));
            grid.AddRow(new Markup("[bold]best[/]"), new Text(_best is null
                ? "-"
                : $"{metric} = {Format.Metric(_best.Metric)} at {Format.Commit(_best.CandidateCommit)} (#{_best.Seq} {_best.Description})"));
            var noise = _recent.LastOrDefault(e => e.Threshold is not null && e.Status != Core.Records.ExperimentStatus.Stopped);
            if (noise is not null)
            {
                grid.AddRow(new Markup("[bold]noise[/]"), new Text(
                    $"σ {(noise.Sigma is > 0 ? Format.Metric(noise.Sigma) : "unknown")}, a keep must beat the best by {Format.Metric(noise.Threshold)}"));
            }

            foreach (var flight in _current.Values)
            {
                var elapsed = flight.Clock.Elapsed;
                var clock = flight.Phase is "running" or "confirming" ? $"{elapsed.TotalSeconds:0}s / {_timeout.TotalSeconds:0}s" : $"{elapsed.TotalSeconds:0}s";
                var slot = flight.Experiment.Slot > 0 || _current.Count > 1 ? $"slot {flight.Experiment.Slot} " : "";
                grid.AddRow(new Markup("[bold]now[/]"), new Text($"{slot}#{flight.Experiment.Seq} {flight.Phase} {clock}  {flight.Experiment.Description ?? ""}"));
                grid.AddRow(new Markup("[bold]progress[/]"), new Text(flight.LastProgress ?? flight.LastLine ?? "-"));
            }

            var table = new Table().Border(TableBorder.Simple).AddColumns("#", "status", metric, "margin", "time", "description", "decision");
            foreach (var e in _recent.TakeLast(10))
            {
                table.AddRow(
                    new Text(e.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    new Markup($"[{Format.Color(e)}]{Format.Status(e)}[/]"),
                    new Text(Format.Metric(e.Metric)),
                    new Text(e.Margin is { } margin ? Format.Signed(margin) : ""),
                    new Text(Format.Seconds(e.RunSeconds)),
                    new Text(e.Description ?? e.Error ?? ""),
                    new Text(e.Decision ?? ""));
            }

            // A warning (a busy machine, a throughput far from the baseline's) stands out from the notices.
            var messages = new Rows(_messages.TakeLast(3).Select(m =>
                new Markup($"[{(m.Contains(": warning: ", StringComparison.Ordinal) ? "yellow" : "dim")}]{Markup.Escape(m)}[/]")));
            return new Rows(new Panel(grid).Header("autoresearch").Expand(), table, messages);
        }
    }

    /// <summary>An experiment in flight: what it is doing, since when, and the last line it printed.</summary>
    private sealed class InFlight(ExperimentRecord experiment, string phase)
    {
        public ExperimentRecord Experiment { get; } = experiment;

        public string Phase { get; } = phase;

        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public string? LastLine { get; set; }

        public string? LastProgress { get; set; }
    }
}
