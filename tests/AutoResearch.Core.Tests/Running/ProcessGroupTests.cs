using System.Diagnostics;
using AutoResearch.Core.Running;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Running;

/// <summary>Tests that switch the pid namespace off for the whole process run alone, after the others.</summary>
[CollectionDefinition(nameof(ProcessGroupTests), DisableParallelization = true)]
public sealed class ProcessGroupCollection;

/// <summary>Commands that try to outlive their phase: with the pid namespace, and in the fallback without it.</summary>
[Collection(nameof(ProcessGroupTests))]
public sealed class ProcessGroupTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_process_that_leaves_the_group_and_holds_the_output_ends_with_the_command(bool namespaced)
    {
        using var scope = new NamespaceSwitch(namespaced);
        var marker = Marker();
        var log = LogPath();
        var clock = Stopwatch.StartNew();

        ProcessOutcome outcome;
        await using (var group = ProcessGroup.Start($"setsid bash -c 'sleep {marker}' & (setsid sleep {marker}1 > /dev/null 2>&1 &); sleep 1; echo started", Path.GetTempPath(), log))
        {
            outcome = await group.WaitAsync(TimeSpan.FromSeconds(30));
        }

        // (The command waits a second so that its children have left the group before it ends.)
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(9), $"took {clock.Elapsed}");
        Assert.Equal(0, outcome.ExitCode);
        Assert.Empty(Processes.WithArgument(marker));
        Assert.Empty(Processes.WithArgument(marker + "1"));
        var text = File.ReadAllText(log);
        Assert.Contains("started", text, StringComparison.Ordinal);
        if (!namespaced)
        {
            // Without the namespace the escapes are found by their marker variable, killed and named.
            Assert.Equal(2, outcome.Escaped.Count);
            Assert.Contains("had left the process group and outlived the command; killed", text, StringComparison.Ordinal);
            Assert.Contains("no pid namespace", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Without_the_namespace_a_process_that_clears_its_environment_is_found_by_the_pipe_it_holds()
    {
        using var scope = new NamespaceSwitch(false);
        var marker = Marker();
        var log = LogPath();
        var clock = Stopwatch.StartNew();

        ProcessOutcome outcome;
        await using (var group = ProcessGroup.Start($"env -i setsid sleep {marker} & sleep 1; echo started", Path.GetTempPath(), log))
        {
            outcome = await group.WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Empty(Processes.WithArgument(marker));
        Assert.Contains(outcome.Escaped, e => e.Contains("held the output pipe", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_hanging_command_with_escaped_children_is_killed_at_its_timeout(bool namespaced)
    {
        using var scope = new NamespaceSwitch(namespaced);
        var marker = Marker();
        var clock = Stopwatch.StartNew();

        ProcessOutcome outcome;
        await using (var group = ProcessGroup.Start($"setsid bash -c 'sleep {marker}' & trap '' TERM; sleep {marker}2", Path.GetTempPath(), LogPath()))
        {
            outcome = await group.WaitAsync(TimeSpan.FromSeconds(1));
        }

        Assert.True(outcome.TimedOut);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1 + 10), $"took {clock.Elapsed}");
        Assert.Empty(Processes.WithArgument(marker));
        Assert.Empty(Processes.WithArgument(marker + "2"));
    }

    [Fact]
    public async Task In_the_namespace_a_timeout_still_reaches_the_command_with_TERM_first()
    {
        using var scope = new NamespaceSwitch(true);
        var log = LogPath();

        ProcessOutcome outcome;
        await using (var group = ProcessGroup.Start("trap 'echo got TERM; exit 7' TERM; sleep 30 & wait", Path.GetTempPath(), log))
        {
            outcome = await group.WaitAsync(TimeSpan.FromSeconds(1));
        }

        Assert.True(outcome.TimedOut);
        Assert.Contains("got TERM", File.ReadAllText(log), StringComparison.Ordinal);
    }

    private static string Marker() => Random.Shared.Next(700_000, 799_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string LogPath() => Path.Combine(Path.GetTempPath(), "autoresearch-tests", $"group-{Guid.NewGuid():N}", "run.log");

    /// <summary>Turns the pid namespace off (or leaves it on) for the duration of one test.</summary>
    private sealed class NamespaceSwitch : IDisposable
    {
        public NamespaceSwitch(bool namespaced)
        {
            Environment.SetEnvironmentVariable(PidNamespace.DisableVariable, namespaced ? null : "1");
            Assert.Equal(namespaced, PidNamespace.Prefix is not null);
        }

        public void Dispose() => Environment.SetEnvironmentVariable(PidNamespace.DisableVariable, null);
    }
}
