using System.Globalization;

namespace AutoResearch.Core.Running.Slurm;

/// <summary>What the scheduler says of one job (<c>scontrol show job --oneliner</c>).</summary>
/// <param name="State">The job's state, e.g. <c>PENDING</c>, <c>RUNNING</c>, <c>COMPLETED</c>, <c>NODE_FAIL</c>.</param>
/// <param name="Reason">Why it waits or ended, when the scheduler says (<c>Resources</c>, <c>JobHeldUser</c>, ...); null for none.</param>
/// <param name="ExitCode">The batch script's exit code, once it ended.</param>
/// <param name="Signal">The signal that ended the batch script, or 0.</param>
/// <param name="Node">Where the batch script runs, once it started.</param>
internal sealed record SlurmJobState(string State, string? Reason, int ExitCode, int Signal, string? Node)
{
    /// <summary>Waiting to start: queued, held, or being set up.</summary>
    public bool IsPending => State is "PENDING" or "CONFIGURING" or "REQUEUED" or "REQUEUE_HOLD" or "REQUEUE_FED" or "RESV_DEL_HOLD";

    /// <summary>Ended, one way or another; nothing of it runs any more.</summary>
    public bool IsTerminal => State is "COMPLETED" or "FAILED" or "CANCELLED" or "TIMEOUT" or "NODE_FAIL" or "PREEMPTED"
        or "BOOT_FAIL" or "DEADLINE" or "OUT_OF_MEMORY" or "SPECIAL_EXIT" or "REVOKED";

    /// <summary>Ended by the cluster, not by its code: a node failed or did not boot, or another job preempted it. Worth a retry.</summary>
    public bool IsClusterFailure => State is "NODE_FAIL" or "PREEMPTED" or "BOOT_FAIL";

    /// <summary>The state and, where there is one, the reason: <c>NODE_FAIL (NodeDown)</c>.</summary>
    public string Describe() => Reason is null ? State : $"{State} ({Reason})";

    /// <summary>Reads the one-line form of <c>scontrol show job</c>; null when it names no state.</summary>
    public static SlurmJobState? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var token in text.Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = token.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                fields.TryAdd(token[..equals], token[(equals + 1)..]);
            }
        }

        if (!fields.TryGetValue("JobState", out var state) || state.Length == 0)
        {
            return null;
        }

        var reason = fields.GetValueOrDefault("Reason");
        if (reason is "None" or "(null)" or "")
        {
            reason = null;
        }

        var (exit, signal) = (0, 0);
        if (fields.TryGetValue("ExitCode", out var code))
        {
            var parts = code.Split(':');
            _ = int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out exit);
            if (parts.Length > 1)
            {
                _ = int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out signal);
            }
        }

        var node = fields.GetValueOrDefault("BatchHost");
        return new SlurmJobState(state, reason, exit, signal, node is null or "(null)" ? null : node);
    }
}
