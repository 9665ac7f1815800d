namespace AutoResearch.Core.Spec;

/// <summary>Which way the metric improves.</summary>
public enum Direction
{
    /// <summary>Lower is better (a loss, bits per byte, seconds).</summary>
    Minimize,

    /// <summary>Higher is better (an accuracy, a throughput).</summary>
    Maximize,
}
