using System.Diagnostics;

namespace AutoResearch.Core.Running;

/// <summary>
/// Whether this machine lets the harness start a command as the first process of a new pid namespace
/// (<c>unshare --pid --fork --kill-child</c>, with a user namespace when not root). Inside one, a process that leaves its
/// process group (<c>setsid</c>, a double fork) is still in the namespace, and the kernel kills every process of the
/// namespace when its first process ends: nothing a command starts can outlive it. Probed once per harness.
/// </summary>
internal static class PidNamespace
{
    /// <summary>Set to <c>1</c> to run without the namespace (to test the fallback, or where it misbehaves).</summary>
    public const string DisableVariable = "AUTORESEARCH_NO_PID_NAMESPACE";

    private static readonly Lazy<IReadOnlyList<string>?> s_prefix = new(Probe);

    /// <summary>
    /// The arguments that go before the command, or null when the namespace is not available here. The namespace's first
    /// process is a bash that only starts the command and waits for it: the kernel shields a namespace's first process
    /// from TERM sent from outside, so the command itself must not be it, or a timeout's TERM would not reach it.
    /// </summary>
    public static IReadOnlyList<string>? Prefix =>
        Environment.GetEnvironmentVariable(DisableVariable) == "1" ? null : s_prefix.Value is { } prefix ? [.. prefix, .. s_init] : null;

    /// <summary>The first process: the command in the background on the same stdin (a background job would get /dev/null), then its status.</summary>
    private static readonly string[] s_init = ["bash", "-c", "exec 3<&0; \"$@\" <&3 3<&- & wait $!", "autoresearch-init"];

    /// <summary>Why there is no namespace, for logs; null when there is one.</summary>
    public static string? Missing => Prefix is not null
        ? null
        : Environment.GetEnvironmentVariable(DisableVariable) == "1"
            ? $"{DisableVariable}=1"
            : "`unshare --pid --fork` is not permitted or not installed (util-linux)";

    private static IReadOnlyList<string>? Probe()
    {
        List<string> prefix = ["unshare", "--pid", "--fork", "--kill-child"];
        if (Environment.UserName != "root")
        {
            prefix.InsertRange(1, ["--user", "--map-current-user"]);
        }

        var info = new ProcessStartInfo(prefix[0]) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in prefix.Skip(1).Append("true"))
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info);
            if (process is null || !process.WaitForExit(5000))
            {
                process?.Kill();
                return null;
            }

            return process.ExitCode == 0 ? prefix : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No unshare: fall back to process groups and the phase's marker variable.
            return null;
        }
    }
}
