namespace AutoResearch.Web.Charts;

/// <summary>How a point of the progress chart is drawn.</summary>
public enum ProgressMark
{
    /// <summary>An improvement that was kept (green, labelled).</summary>
    Kept,

    /// <summary>Ran and was thrown away (grey).</summary>
    Discarded,

    /// <summary>The run failed or printed no usable metric (marked at the top).</summary>
    Crashed,

    /// <summary>Killed at its hard timeout (marked at the top).</summary>
    TimedOut,

    /// <summary>Stopped early on its learning curve (marked at the top).</summary>
    Stopped,

    /// <summary>Broke the editable scope; never run (marked at the top).</summary>
    Rejected,
}
