using AutoResearch.Core.Records;

namespace AutoResearch.Core.Loop;

/// <summary>Several observers heard as one (a terminal view and a webhook, say), each call passed to each in order.</summary>
public sealed class ObserverGroup(params IReadOnlyList<IResearchObserver> observers) : IResearchObserver
{
    public void OnRunStarted(RunRecord run, bool resumed, string worktree)
    {
        foreach (var o in observers)
        {
            o.OnRunStarted(run, resumed, worktree);
        }
    }

    public void OnMessage(string message)
    {
        foreach (var o in observers)
        {
            o.OnMessage(message);
        }
    }

    public void OnExperimentStarted(ExperimentRecord experiment)
    {
        foreach (var o in observers)
        {
            o.OnExperimentStarted(experiment);
        }
    }

    public void OnRunning(ExperimentRecord experiment, TimeSpan timeout)
    {
        foreach (var o in observers)
        {
            o.OnRunning(experiment, timeout);
        }
    }

    public void OnOutput(ExperimentRecord experiment, string line)
    {
        foreach (var o in observers)
        {
            o.OnOutput(experiment, line);
        }
    }

    public void OnExperimentFinished(ExperimentRecord experiment, ExperimentRecord best)
    {
        foreach (var o in observers)
        {
            o.OnExperimentFinished(experiment, best);
        }
    }

    public void OnRunFinished(RunSummary summary)
    {
        foreach (var o in observers)
        {
            o.OnRunFinished(summary);
        }
    }
}
