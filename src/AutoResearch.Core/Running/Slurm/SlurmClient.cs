using System.ComponentModel;
using CliWrap;
using CliWrap.Buffered;

namespace AutoResearch.Core.Running.Slurm;

/// <summary>
/// The scheduler's client commands the executor uses (<c>sbatch</c>, <c>scontrol</c>, <c>scancel</c>), each run as a
/// process with the environment it is given (<c>SLURM_CONF</c> and the rest inherited); each failure becomes a sentence.
/// </summary>
internal sealed class SlurmClient
{
    /// <summary>The client on this machine's PATH.</summary>
    public static SlurmClient Default { get; } = new();

    /// <summary>True when <c>sbatch</c> is on PATH.</summary>
    public static bool Installed => Sandbox.Which("sbatch", Environment.GetEnvironmentVariable("PATH")) is not null;

    /// <summary>
    /// Submits <paramref name="script"/> held (<c>sbatch --hold</c>): it cannot start before <see cref="ReleaseAsync"/>, so its
    /// id can be recorded first. The job's environment is <paramref name="environment"/> over the harness's (<c>--export=ALL</c>).
    /// </summary>
    /// <returns>The job id.</returns>
    /// <exception cref="ResearchException">sbatch is missing or refused the job (a bad partition, account, gres).</exception>
    public async Task<string> SubmitHeldAsync(
        IReadOnlyList<string> arguments, string script, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        var result = await RunAsync("sbatch", ["--parsable", "--hold", .. arguments, script], environment, cancellationToken).ConfigureAwait(false);
        var id = result.StandardOutput.Trim().Split(';')[0];
        if (result.ExitCode != 0 || id.Length == 0 || !id.All(char.IsAsciiDigit))
        {
            throw new ResearchException(
                $"sbatch refused the job: {Message(result)} (sbatch {string.Join(' ', arguments)}); check [slurm] in autoresearch.toml");
        }

        return id;
    }

    /// <summary>Lets a held job start.</summary>
    public async Task ReleaseAsync(string jobId, CancellationToken cancellationToken)
    {
        var result = await RunAsync("scontrol", ["release", jobId], null, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new ResearchException($"scontrol release {jobId} failed: {Message(result)}");
        }
    }

    /// <summary>What the scheduler says of the job; null once it no longer knows it (purged after it ended, or never existed).</summary>
    /// <exception cref="ResearchException">The scheduler could not be asked (the controller is down or unreachable).</exception>
    public async Task<SlurmJobState?> StateAsync(string jobId, CancellationToken cancellationToken)
    {
        var result = await RunAsync("scontrol", ["show", "job", "--oneliner", jobId], null, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            return result.StandardError.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase)
                ? null
                : throw new ResearchException($"scontrol show job {jobId} failed: {Message(result)}");
        }

        return SlurmJobState.Parse(result.StandardOutput)
            ?? throw new ResearchException($"scontrol show job {jobId} printed no JobState: {result.StandardOutput.Trim()}");
    }

    /// <summary>Cancels a job (<c>scancel</c>; a job that has ended already is no error); false when scancel failed.</summary>
    public async Task<bool> CancelAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync("scancel", [jobId], null, cancellationToken).ConfigureAwait(false);
        return result.ExitCode == 0;
    }

    /// <summary>The ids of this user's jobs named <paramref name="name"/> that have not ended (<c>squeue</c>).</summary>
    public async Task<IReadOnlyList<string>> JobsNamedAsync(string name, CancellationToken cancellationToken = default)
    {
        var result = await RunAsync("squeue", ["--noheader", "--format=%i", $"--name={name}", $"--user={Environment.UserName}"], null, cancellationToken)
            .ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new ResearchException($"squeue --name={name} failed: {Message(result)}");
        }

        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static async Task<BufferedCommandResult> RunAsync(
        string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment, CancellationToken cancellationToken)
    {
        var command = Cli.Wrap(program).WithArguments(arguments).WithValidation(CommandResultValidation.None);
        if (environment is not null)
        {
            command = command.WithEnvironmentVariables(environment);
        }

        try
        {
            return await command.ExecuteBufferedAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException)
        {
            // The program could not start: Slurm's client commands are not on this machine.
            throw new ResearchException(
                $"cannot run `{program}` ({e.Message}): [run] executor = \"slurm\" needs Slurm's client commands (sbatch, scontrol, scancel, squeue) " +
                "on PATH, and SLURM_CONF where the cluster's slurm.conf is not in the default place", e);
        }
    }

    private static string Message(BufferedCommandResult result)
    {
        var text = (result.StandardError.Trim().Length > 0 ? result.StandardError : result.StandardOutput).Trim();
        return text.Length == 0 ? $"exit code {result.ExitCode}" : text.ReplaceLineEndings(" ");
    }
}
