using AutoResearch.Core.Records;

namespace AutoResearch.Core.Loop;

/// <summary>Hears what the loop does, for a terminal view, a log or a dashboard. Calls come from the loop's thread, except <see cref="OnOutput"/>.</summary>
public interface IResearchObserver
{
    /// <summary>A run started or resumed; <paramref name="worktree"/> is where experiments happen.</summary>
    void OnRunStarted(RunRecord run, bool resumed, string worktree) { }

    /// <summary>A notice worth showing (setup started, a resumed experiment, a stop reason).</summary>
    void OnMessage(string message) { }

    /// <summary>An experiment began (proposing, or running for a baseline or resumed candidate).</summary>
    void OnExperimentStarted(ExperimentRecord experiment) { }

    /// <summary>The candidate is committed and its run starts now, with a hard limit of <paramref name="timeout"/>.</summary>
    void OnRunning(ExperimentRecord experiment, TimeSpan timeout) { }

    /// <summary>A line the run printed (called from an output thread).</summary>
    void OnOutput(ExperimentRecord experiment, string line) { }

    /// <summary>An experiment was decided; <paramref name="best"/> is the best after the decision.</summary>
    void OnExperimentFinished(ExperimentRecord experiment, ExperimentRecord best) { }

    /// <summary>The run reached a limit (not called when it fails or is cancelled: the caller sees the exception).</summary>
    void OnRunFinished(RunSummary summary) { }
}
