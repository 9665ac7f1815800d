using System.Diagnostics;
using AutoResearch.Cli.Tests.Support;
using AutoResearch.Core.Records;

namespace AutoResearch.Cli.Tests;

/// <summary>
/// A training repository in nanoGPT's conventions that nobody wrote for this tool (Fixtures/nanogpt-style: a lowercase
/// config file executed by train.py, a dataclass model config, a seed fixed in the code, data prepared by a script and
/// git-ignored, a checkpoint written under out-tiny/ after evaluation, the metric in its own "val loss" format), researched
/// with nothing added but autoresearch.toml, by the built-in search, end to end through the CLI.
/// </summary>
public sealed class NanoGptStyleTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "autoresearch-nanogpt-" + Guid.NewGuid().ToString("N")[..8]);

    public NanoGptStyleTests()
    {
        CopyFolder(Path.Combine(AppContext.BaseDirectory, "Fixtures", "nanogpt-style"), _dir);
        File.Move(Path.Combine(_dir, "gitignore"), Path.Combine(_dir, ".gitignore"));
        Run("git", "init", "-q");
        Run("git", "add", "-A");
        Run("git", "-c", "user.name=t", "-c", "user.email=t@localhost", "commit", "-qm", "a nanoGPT-style repository");
        // As its README says: prepare the data once (git-ignored, so never committed).
        Run("python3", "data/tiny/prepare.py");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }

    [Fact]
    public async Task The_search_finds_the_lowercase_knobs_and_keeps_a_real_confirmed_improvement_with_no_proposal_rejected_for_run_outputs()
    {
        var (statusCode, status) = await CliRunner.RunAsync("status", _dir);
        Assert.Equal(0, statusCode);
        Assert.Contains("learning_rate", status, StringComparison.Ordinal);
        Assert.Contains("config/train_tiny.py:", status, StringComparison.Ordinal);

        var (code, output) = await CliRunner.RunAsync("run", _dir, "--max-experiments", "8", "--plain", "--tag", "nano");

        Assert.True(code == 0, output);
        // The seed is fixed in the code: the harness says its repeats cannot measure noise, and confirms wins on a fresh seed.
        Assert.Contains("warning: experiment", output, StringComparison.Ordinal);
        Assert.Contains("ignore the seed", output, StringComparison.Ordinal);
        using var ledger = Ledger.Open(Path.Combine(_dir, ".autoresearch", "ledger.db"));
        var experiments = ledger.Experiments("nano");
        Assert.DoesNotContain(experiments, e => e.Status == ExperimentStatus.Rejected);
        Assert.All(experiments.Where(e => e.Patch is not null), e => Assert.DoesNotContain("out-tiny", e.Patch!, StringComparison.Ordinal));
        var keeps = experiments.Where(e => e.Status == ExperimentStatus.Keep && !e.IsBaseline).ToList();
        Assert.NotEmpty(keeps);
        var baseline = experiments[0].Metric!.Value;
        Assert.All(keeps, k => Assert.True(k.Metric < baseline));
        Assert.All(keeps, k => Assert.True(k.Runs.Count >= 2, $"keep #{k.Id} was not confirmed on a second run"));
        Assert.All(keeps, k => Assert.Contains("config/train_tiny.py", k.Patch!, StringComparison.Ordinal));

        // Cost beside the metric, read from train.py's own lines: the parameter count of every run, and each keep's ratio.
        Assert.Equal(0.80e6, experiments[0].Cost!.Params!.Value, 1);
        Assert.All(keeps, k => Assert.NotNull(k.Cost?.Params));
        var (logCode, log) = await CliRunner.RunAsync("log", _dir, "--tag", "nano");
        Assert.Equal(0, logCode);
        Assert.Contains("x time", log, StringComparison.Ordinal);

        // The kept config is the one on the run's branch, and the researcher's own checkout is untouched.
        var best = Run("git", "show", $"autoresearch/nano:config/train_tiny.py");
        Assert.NotEqual(File.ReadAllText(Path.Combine(_dir, "config", "train_tiny.py")), best);
    }

    private string Run(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)}: {stderr}");
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
