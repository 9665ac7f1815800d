using System.Diagnostics;

namespace AutoResearch.Tests.Support;

/// <summary>
/// The Slurm the tests run against (test.sh starts a private single-node one and exports its SLURM_CONF), and what they ask it.
/// </summary>
internal static class SlurmCluster
{
    private static readonly Lazy<string?> s_missing = new(FindMissing);

    /// <summary>Why the Slurm tests cannot run here, or null when a Slurm answers.</summary>
    public static string? Missing => s_missing.Value;

    /// <summary>The one node of partition <c>fail</c>, which a test may take down, or null when there is no such partition.</summary>
    public static string? FailNode
    {
        get
        {
            var (code, stdout, _) = Run("sinfo", "--noheader", "--partition=fail", "--format=%N");
            var nodes = stdout.Trim();
            return code == 0 && nodes.Length > 0 && !nodes.Contains(',', StringComparison.Ordinal) && !nodes.Contains('[', StringComparison.Ordinal) ? nodes : null;
        }
    }

    /// <summary>Sets a node's state (<c>DOWN</c>, <c>RESUME</c>) as an administrator would.</summary>
    public static void SetNode(string node, string state)
    {
        var (code, _, stderr) = Run("scontrol", "update", $"NodeName={node}", $"State={state}", "Reason=autoresearch-test");
        Assert.True(code == 0 || stderr.Contains("Invalid node state", StringComparison.Ordinal), stderr);
    }

    /// <summary>The TOML that makes a toy workspace's runs Slurm jobs of one core each, its folder on the "shared" file system.</summary>
    public static string Toml(string extra = "") => $"""

        [slurm]
        shared_dir = "{Path.GetTempPath().TrimEnd('/')}"
        cpus = 1
        poll_seconds = 0.2
        {extra}
        """;

    /// <summary>The start of the name of every job of the workspace at <paramref name="root"/> (the harness names them so).</summary>
    public static string Prefix(string root) =>
        "autoresearch-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Path.GetFullPath(root))))[..8] + "-";

    /// <summary>The ids and states of this user's jobs whose names start with <paramref name="prefix"/>, as squeue lists them.</summary>
    public static IReadOnlyList<(string Id, string State, string Name)> Jobs(string prefix = "autoresearch-")
    {
        var (code, stdout, stderr) = Run("squeue", "--noheader", "--format=%i|%T|%j", $"--user={Environment.UserName}");
        Assert.True(code == 0, stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Trim().Split('|'))
            .Where(f => f.Length == 3 && f[2].StartsWith(prefix, StringComparison.Ordinal))
            .Select(f => (f[0], f[1], f[2]))
            .ToList();
    }

    /// <summary>The job's state (<c>scontrol show job</c>), or null when Slurm no longer knows it.</summary>
    public static string? State(string id)
    {
        var (code, stdout, _) = Run("scontrol", "show", "job", "--oneliner", id);
        if (code != 0)
        {
            return null;
        }

        return stdout.Split(' ').FirstOrDefault(f => f.StartsWith("JobState=", StringComparison.Ordinal))?["JobState=".Length..];
    }

    /// <summary>Runs a command and returns its exit code and outputs.</summary>
    public static (int Code, string Stdout, string Stderr) Run(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr);
    }

    private static string? FindMissing()
    {
        try
        {
            var (code, stdout, stderr) = Run("sinfo", "--noheader", "--format=%t");
            return code != 0
                ? $"no Slurm answers here (sinfo: {stderr.Trim()}); ./test.sh starts a private one as root"
                : stdout.Contains("idle", StringComparison.Ordinal) || stdout.Contains("mix", StringComparison.Ordinal) || stdout.Contains("alloc", StringComparison.Ordinal)
                    ? null
                    : $"Slurm's nodes are not up (sinfo: {stdout.Trim()})";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "no Slurm installed (no sinfo on PATH); ./test.sh installs and starts one";
        }
    }
}

/// <summary>A test against the real Slurm; skipped, with the reason, only where none is installed and running.</summary>
internal sealed class SlurmFactAttribute : FactAttribute
{
    /// <param name="failNode">The test takes down the node of partition <c>fail</c> (scripts/private-slurm.sh makes one).</param>
    public SlurmFactAttribute(bool failNode = false)
    {
        if (SlurmCluster.Missing is { } reason)
        {
            Skip = reason;
        }
        else if (failNode && SlurmCluster.FailNode is null)
        {
            Skip = "this Slurm has no partition \"fail\" with a node of its own to take down (scripts/private-slurm.sh makes one)";
        }
    }
}
