using System.Diagnostics;
using System.Globalization;
using AutoResearch.Core.Workspace;

namespace AutoResearch.Swarm.Simulator;

/// <summary>The project the simulated swarm works on: a git repository with params.txt editable and prepare.txt read-only.</summary>
internal static class SimulatedWorkspace
{
    /// <param name="sigma">The noise σ the spec states; null states none (the swarm then measures it).</param>
    public static async Task CreateAsync(string directory, double? sigma, string baseText, CancellationToken cancellationToken)
    {
        var stated = sigma is { } g ? string.Create(CultureInfo.InvariantCulture, $"sigma = {g}") : "z = 2";
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, SyntheticObjective.File), baseText, cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, "prepare.txt"), "the fixed half: data and scoring\n", cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, "autoresearch.toml"), string.Create(CultureInfo.InvariantCulture, $"""
            [objective]
            metric = "loss"
            direction = "minimize"

            [run]
            command = "cat params.txt"
            timeout_seconds = 60

            [scope]
            editable = ["{SyntheticObjective.File}"]

            [acceptance]
            {stated}

            [swarm]
            verifiers = 2
            tolerance = 1e-9
            max_patch_bytes = 65536
            """), cancellationToken).ConfigureAwait(false);
        foreach (var arguments in new[]
        {
            new[] { "init", "-q" }, ["add", "-A"], ["-c", "user.name=autoresearch", "-c", "user.email=autoresearch@localhost", "commit", "-q", "-m", "simulated project"],
        })
        {
            using var git = Process.Start(NeutralGit.StartInfo(directory, arguments))!;
            git.StandardInput.Close();
            var stderr = git.StandardError.ReadToEndAsync(cancellationToken);
            await git.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
            await git.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            if (git.ExitCode != 0)
            {
                throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed in {directory}: {await stderr.ConfigureAwait(false)}");
            }
        }
    }
}
