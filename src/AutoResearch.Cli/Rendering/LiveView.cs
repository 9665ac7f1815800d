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
    private readonly Stopwatch _phaseClock = new();
    private RunRecord? _run;
    private ExperimentRecord? _current;
    private ExperimentRecord? _best;
    private string _phase = "starting";
    private TimeSpan _timeout;
    private string? _lastProgress;
    private string? _lastLine;

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
            _current = experiment;
            _phase = experiment.IsBaseline ? "baseline" : "proposing";
            _lastProgress = null;
            _lastLine = null;
            _phaseClock.Restart();
        }
    }

    public void OnRunning(ExperimentRecord experiment, TimeSpan timeout)
    {
        lock (_lock)
        {
            _current = experiment;
            _phase = "running";
            _timeout = timeout;
            _phaseClock.Restart();
        }
    }

    public void OnOutput(ExperimentRecord experiment, string line)
    {
        lock (_lock)
        {
            _lastLine = line;
            if (spec.Run.Progress.IsMatch(line))
            {
                _lastProgress = line.Trim();
            }
        }
    }

    public void OnExperimentFinished(ExperimentRecord experiment, ExperimentRecord best)
    {
        lock (_lock)
        {
            _recent.Add(experiment);
            _best = best;
            _current = null;
            _phase = "deciding";
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
            if (_current is not null)
            {
                var elapsed = _phaseClock.Elapsed;
                var clock = _phase == "running" ? $"{elapsed.TotalSeconds:0}s / {_timeout.TotalSeconds:0}s" : $"{elapsed.TotalSeconds:0}s";
                grid.AddRow(new Markup("[bold]now[/]"), new Text($"#{_current.Seq} {_phase} {clock}  {_current.Description ?? ""}"));
                grid.AddRow(new Markup("[bold]progress[/]"), new Text(_lastProgress ?? _lastLine ?? "-"));
            }

            var table = new Table().Border(TableBorder.Simple).AddColumns("#", "status", metric, "time", "description");
            foreach (var e in _recent.TakeLast(10))
            {
                table.AddRow(
                    new Text(e.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    new Markup($"[{Format.Color(e)}]{Format.Status(e)}[/]"),
                    new Text(Format.Metric(e.Metric)),
                    new Text(Format.Seconds(e.RunSeconds)),
                    new Text(e.Description ?? e.Error ?? ""));
            }

            var messages = new Rows(_messages.TakeLast(3).Select(m => new Markup($"[dim]{Markup.Escape(m)}[/]")));
            return new Rows(new Panel(grid).Header("autoresearch").Expand(), table, messages);
        }
    }
}
