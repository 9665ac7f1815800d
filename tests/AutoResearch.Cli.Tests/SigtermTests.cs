using System.Diagnostics;
using System.Globalization;
using AutoResearch.Cli.Tests.Support;
using AutoResearch.Tests.Support;

namespace AutoResearch.Cli.Tests;

/// <summary>SIGTERM (kill, a scheduler's time limit) ends `autoresearch run` within seconds in every phase, whatever the agent or the run left behind.</summary>
public sealed class SigtermTests
{
    [Theory]
    [InlineData("agent")]
    [InlineData("run")]
    public async Task Sigterm_ends_the_harness_within_5_s_with_an_escaped_process_holding_the_output(string phase)
    {
        using var toy = new ToyWorkspace(x: 10);
        var marker = Random.Shared.Next(810_000, 899_999).ToString(CultureInfo.InvariantCulture);
        var hang = $"setsid bash -c 'sleep {marker}1' & sleep {marker}2";
        toy.Plan(phase == "agent" ? hang : $"{ToyWorkspace.SetX(5)}; echo \"{hang}\" >> knobs.sh; echo 'hang in the run'");
        var log = Path.Combine(toy.Scratch, "harness.log");
        using var harness = CliRunner.Start(log, "run", toy.Root, "--agent", "cli", "--agent-command", toy.AgentCommand, "--max-experiments", "1", "--plain");
        var deadline = Stopwatch.StartNew();
        while (Processes.WithArgument(marker + "2").Count == 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), File.Exists(log) ? File.ReadAllText(log) : "never reached the hang");
            Assert.False(harness.HasExited, File.Exists(log) ? File.ReadAllText(log) : "");
            await Task.Delay(50);
        }

        var clock = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", harness.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        var ended = harness.WaitForExit(TimeSpan.FromSeconds(5));
        var elapsed = clock.Elapsed;
        if (!ended)
        {
            harness.Kill(entireProcessTree: true);
        }

        Assert.True(ended, $"still running {elapsed} after SIGTERM: {File.ReadAllText(log)}");
        Assert.Empty(Processes.WithArgument(marker + "1"));
        Assert.Empty(Processes.WithArgument(marker + "2"));
    }
}
