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
    private static readonly long[] s_forward = new long[Enum.GetValues<Op>().Length];
    private static readonly long[] s_backward = new long[Enum.GetValues<Op>().Length];

    /// <summary>Whether time is being recorded.</summary>
    public static bool Enabled { get; set; }

    /// <summary>Clears the recorded times.</summary>
    public static void Clear()
    {
        Array.Clear(s_forward);
        Array.Clear(s_backward);
    }

    /// <summary>
    /// A table of milliseconds per step for each op kind (forward, backward, share of the total), largest
    /// first; <paramref name="steps"/> divides the totals.
    /// </summary>
    public static string Report(int steps)
    {
        var per = 1000.0 / Stopwatch.Frequency / Math.Max(steps, 1);
        var rows = Enum.GetValues<Op>()
            .Select(op => (op, fwd: s_forward[(int)op] * per, bwd: s_backward[(int)op] * per))
            .Where(r => r.fwd + r.bwd > 0)
            .OrderByDescending(r => r.fwd + r.bwd)
            .ToList();
        var total = Math.Max(rows.Sum(r => r.fwd + r.bwd), 1e-12);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"op",-14} {"fwd ms",9} {"bwd ms",9} {"share",7}");
        foreach (var (op, fwd, bwd) in rows)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{op,-14} {fwd,9:F2} {bwd,9:F2} {(fwd + bwd) / total,7:P1}");
        }

        sb.Append(CultureInfo.InvariantCulture, $"{"total",-14} {rows.Sum(r => r.fwd),9:F2} {rows.Sum(r => r.bwd),9:F2} {1,7:P1}");
        return sb.ToString();
    }

    internal static long Begin() => Enabled ? Stopwatch.GetTimestamp() : 0;

    internal static void EndForward(Op op, long t0)
    {
        if (Enabled)
        {
            s_forward[(int)op] += Stopwatch.GetTimestamp() - t0;
        }
    }

    internal static void EndBackward(Op op, long t0)
    {
        if (Enabled)
        {
            s_backward[(int)op] += Stopwatch.GetTimestamp() - t0;
        }
    }
}
