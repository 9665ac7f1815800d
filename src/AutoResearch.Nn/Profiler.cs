using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace AutoResearch.Nn;

/// <summary>
/// A process-wide profile of time per op kind, forward and backward, plus the optimizer. Off by default;
/// when off, each op pays one branch. The workload turns it on with <c>AUTORESEARCH_PROFILE=1</c>.
/// </summary>
public static class Profiler
{
    private static long[] ForwardTicks { get; } = new long[Enum.GetValues<Op>().Length];
    private static long[] BackwardTicks { get; } = new long[Enum.GetValues<Op>().Length];
    private static long[] StepTicks { get; } = new long[Enum.GetValues<Op>().Length];
    private static long[] MinTicks { get; } = new long[Enum.GetValues<Op>().Length];
    private static long StepStart { get; set; }

    private static long FastestStep { get; set; } = long.MaxValue;

    /// <summary>Whether time is being recorded.</summary>
    public static bool Enabled { get; set; }

    /// <summary>Clears the recorded times.</summary>
    public static void Clear()
    {
        Array.Clear(ForwardTicks);
        Array.Clear(BackwardTicks);
        Array.Clear(StepTicks);
        Array.Fill(MinTicks, long.MaxValue);
        FastestStep = long.MaxValue;
        StepStart = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Marks the end of a training step: folds this step's time per op into the per-op minimum, which
    /// (unlike the mean) is not inflated by other processes competing for the cores.
    /// </summary>
    public static void EndStep()
    {
        if (!Enabled)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        FastestStep = Math.Min(FastestStep, now - StepStart);
        StepStart = now;
        for (var i = 0; i < StepTicks.Length; i++)
        {
            MinTicks[i] = Math.Min(MinTicks[i], StepTicks[i]);
            StepTicks[i] = 0;
        }
    }

    /// <summary>
    /// A table of milliseconds per step for each op kind (mean forward, mean backward, share of the total,
    /// and the fastest step's time for that op), largest first; <paramref name="steps"/> divides the totals.
    /// </summary>
    public static string Report(int steps)
    {
        var per = 1000.0 / Stopwatch.Frequency / Math.Max(steps, 1);
        var rows = Enum.GetValues<Op>()
            .Select(op => (op, fwd: ForwardTicks[(int)op] * per, bwd: BackwardTicks[(int)op] * per, min: MinTicks[(int)op] == long.MaxValue ? 0 : MinTicks[(int)op] * per * Math.Max(steps, 1)))
            .Where(r => r.fwd + r.bwd > 0)
            .OrderByDescending(r => r.fwd + r.bwd)
            .ToList();
        var total = Math.Max(rows.Sum(r => r.fwd + r.bwd), 1e-12);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"op",-14} {"fwd ms",9} {"bwd ms",9} {"share",7} {"min ms",9}");
        foreach (var (op, fwd, bwd, min) in rows)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{op,-14} {fwd,9:F2} {bwd,9:F2} {(fwd + bwd) / total,7:P1} {min,9:F2}");
        }

        var fastest = FastestStep == long.MaxValue ? 0 : FastestStep * per * Math.Max(steps, 1);
        sb.Append(CultureInfo.InvariantCulture, $"{"total",-14} {rows.Sum(r => r.fwd),9:F2} {rows.Sum(r => r.bwd),9:F2} {1,7:P1} {rows.Sum(r => r.min),9:F2} (fastest whole step {fastest:F2} ms)");
        return sb.ToString();
    }

    internal static long Begin() => Enabled ? Stopwatch.GetTimestamp() : 0;

    internal static void EndForward(Op op, long t0)
    {
        if (Enabled)
        {
            var dt = Stopwatch.GetTimestamp() - t0;
            ForwardTicks[(int)op] += dt;
            StepTicks[(int)op] += dt;
        }
    }

    internal static void EndBackward(Op op, long t0)
    {
        if (Enabled)
        {
            var dt = Stopwatch.GetTimestamp() - t0;
            BackwardTicks[(int)op] += dt;
            StepTicks[(int)op] += dt;
        }
    }
}
