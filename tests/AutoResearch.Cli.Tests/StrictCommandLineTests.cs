using AutoResearch.Cli.Tests.Support;

namespace AutoResearch.Cli.Tests;

/// <summary>A typo is an error that names the fix, never an option silently ignored.</summary>
public sealed class StrictCommandLineTests
{
    [Theory]
    [InlineData(new[] { "run", "--max-experimets", "1" }, "unknown option --max-experimets; did you mean --max-experiments?")]
    [InlineData(new[] { "run", "--paralel", "2" }, "unknown option --paralel; did you mean --parallel?")]
    [InlineData(new[] { "status", "--bogus" }, "unknown option --bogus (`{self} status --help` lists the options)")]
    [InlineData(new[] { "run", "--max-experiments", "abc" }, "--max-experiments abc: not a whole number; e.g. --max-experiments 3")]
    [InlineData(new[] { "run", "--hours", "soon" }, "--hours soon: not a number; e.g. --hours 1.5")]
    [InlineData(new[] { "stauts" }, "unknown command 'stauts'; did you mean status?")]
    [InlineData(new[] { "plott" }, "unknown command 'plott'; did you mean plot?")]
    public async Task Bad_input_exits_2_with_a_message_that_names_the_fix(string[] args, string message)
    {
        var dir = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "strict-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            var (code, output) = await CliRunner.RunAsync([.. args, .. args[0] is "run" or "status" ? new[] { dir } : []]);

            Assert.Equal(2, code);
            // A command the message prints is typed the way this user starts the tool ({self}).
            Assert.Contains(message.Replace("{self}", Invocation.Self, StringComparison.Ordinal), output.ReplaceLineEndings(" "), StringComparison.Ordinal);
            Assert.DoesNotContain("Nullable", output, StringComparison.Ordinal);
            // Nothing ran: no workspace state was made.
            Assert.False(Directory.Exists(Path.Combine(dir, ".autoresearch")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_command_that_a_library_message_prints_is_typed_the_way_this_user_starts_the_tool()
    {
        var dir = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "nospec-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        try
        {
            // The spec loader (a library with no idea how the tool was started) tells the user to run init.
            var (code, output) = await CliRunner.RunAsync("run", dir);

            Assert.Equal(2, code);
            Assert.Contains($"`{Invocation.Self} init {dir}`", output.ReplaceLineEndings(""), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Version_prints_the_tools_version()
    {
        var (code, output) = await CliRunner.RunAsync("--version");

        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", output.Trim());
    }
}
