using System.Diagnostics;
using System.Text.RegularExpressions;
using AutoResearch.Cli.Tests.Support;
using AutoResearch.Tests.Support;

namespace AutoResearch.Cli.Tests;

/// <summary>Every command the README's quick start and <c>init</c> print works as printed.</summary>
public sealed class ReadmeCommandTests
{
    private const string FromSource = "dotnet run --project src/AutoResearch.Cli -c Release -- ";

    [Fact]
    public async Task Quick_start_and_its_follow_up_commands_work_as_printed()
    {
        var blocks = QuickStartBlocks();
        var dir = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "readme-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            // The first command, on the `empty` template (the tinygpt one trains for minutes): init && run.
            var first = blocks[0][0];
            var steps = first.Split(" && ");
            Assert.Equal(2, steps.Length);
            foreach (var step in steps)
            {
                var args = ArgumentsOf(step.Replace("--template tinygpt", "--template empty", StringComparison.Ordinal), dir);
                var (code, output) = await CliRunner.RunAsync(args);
                Assert.True(code == 0, $"{step}\n{output}");
            }

            Assert.Equal("./test.sh", blocks[0][1]);
            var followUps = blocks[1];
            Assert.Equal(3, followUps.Count);
            foreach (var command in followUps)
            {
                var (code, output) = command.StartsWith("git ", StringComparison.Ordinal)
                    ? Git(command.Replace("/tmp/demo", dir, StringComparison.Ordinal))
                    : await CliRunner.RunAsync(ArgumentsOf(command, dir));
                Assert.True(code == 0, $"{command}\n{output}");
                Assert.False(string.IsNullOrWhiteSpace(output), command);
                if (command.Contains(" show 2 ", StringComparison.Ordinal))
                {
                    Assert.Contains("#1 of run demo", output, StringComparison.Ordinal);
                }
            }

            var (missing, message) = await CliRunner.RunAsync("show", "99", dir);
            Assert.Equal(2, missing);
            Assert.Contains("the latest run (demo) has ids 1 to 4 (#0, its baseline, is id 1)", message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Init_prints_a_next_step_that_runs_as_printed()
    {
        var dir = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "next-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var (code, output) = await CliRunner.RunAsync("init", dir);
            Assert.Equal(0, code);
            var next = Regex.Match(output, @"^next: (?<command>.+)$", RegexOptions.Multiline).Groups["command"].Value.Trim();

            // As the user would paste it (with a limit, so it ends): a real process, with this test's tool.
            Assert.Equal(Invocation.Command($"run {dir}"), next);
            var (exit, log) = Shell(next + " --max-experiments 1 --plain");

            Assert.True(exit == 0, $"{next}\n{log}");
            Assert.Contains("reached --max-experiments 1", log, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The quick start's code blocks (the commands, then the follow-ups), one command per line, comments cut.</summary>
    private static List<List<string>> QuickStartBlocks()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var section = Regex.Match(readme, @"^## Quick start\n(?<body>.*?)^## ", RegexOptions.Multiline | RegexOptions.Singleline).Groups["body"].Value;
        return Regex.Matches(section, @"^```bash\n(?<code>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)
            .Select(m => m.Groups["code"].Value.Split('\n')
                .Select(l => Regex.Replace(l, @"\s+#.*$", "").Trim())
                .Where(l => l.Length > 0)
                .ToList())
            .ToList();
    }

    /// <summary>The tool's arguments of a <c>dotnet run --project ... --</c> command, the workspace moved to <paramref name="dir"/>.</summary>
    private static string[] ArgumentsOf(string command, string dir)
    {
        var at = command.IndexOf(FromSource, StringComparison.Ordinal);
        Assert.True(at >= 0, $"not a command of the tool from the source: {command}");
        return command[(at + FromSource.Length)..].Replace("/tmp/demo", dir, StringComparison.Ordinal)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    private static (int ExitCode, string Output) Git(string command)
    {
        var parts = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("git", parts[0]);
        var info = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var part in parts.Skip(1))
        {
            info.ArgumentList.Add(part);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    private static (int ExitCode, string Output) Shell(string command)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command + " 2>&1");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "AutoResearch.slnx")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("the repository root (AutoResearch.slnx) is not above " + AppContext.BaseDirectory);
    }
}
