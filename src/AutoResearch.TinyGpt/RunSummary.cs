using System.Globalization;
using System.Text;

namespace AutoResearch.TinyGpt;

/// <summary>The block every run ends with; the harness reads <c>val_bpb</c> and the rest from it.</summary>
public sealed record RunSummary
{
    /// <summary>Validation loss in bits per byte over the whole validation split.</summary>
    public required double? ValBpb { get; init; }

    /// <summary>Seconds spent training: the budget clock, which starts when the first step (JIT warm-up included) ends.</summary>
    public required double TrainingSeconds { get; init; }

    /// <summary>Seconds since the process started (setup, training and evaluation).</summary>
    public required double TotalSeconds { get; init; }

    /// <summary>Peak working set in MiB.</summary>
    public required double PeakMemoryMb { get; init; }

    /// <summary>Training tokens per second of training (the steps after the first, which starts the clock).</summary>
    public required double TokensPerSecond { get; init; }

    /// <summary>Training tokens in total.</summary>
    public required long TotalTokens { get; init; }

    /// <summary>Optimizer steps taken.</summary>
    public required int NumSteps { get; init; }

    /// <summary>Number of model parameters.</summary>
    public required long NumParams { get; init; }

    /// <summary>The block, starting with a <c>---</c> line, as DESIGN.md section 4 shows it.</summary>
    public string Format()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("---");
        if (ValBpb is { } bpb)
        {
            // Absent under trusted scoring: training has no validation data; the harness scores the checkpoint.
            sb.AppendLine(c, $"val_bpb:          {bpb:F6}");
        }

        sb.AppendLine(c, $"training_seconds: {TrainingSeconds:F1}");
        sb.AppendLine(c, $"total_seconds:    {TotalSeconds:F1}");
        sb.AppendLine(c, $"peak_memory_mb:   {PeakMemoryMb:F1}");
        sb.AppendLine(c, $"tokens_per_sec:   {TokensPerSecond:F0}");
        sb.AppendLine(c, $"total_tokens_M:   {TotalTokens / 1e6:F1}");
        sb.AppendLine(c, $"num_steps:        {NumSteps}");
        sb.Append(c, $"num_params_M:     {NumParams / 1e6:F1}");
        return sb.ToString();
    }
}
