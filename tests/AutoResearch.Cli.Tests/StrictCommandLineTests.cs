using AutoResearch.Cli.Tests.Support;

namespace AutoResearch.Cli.Tests;

/// <summary>A typo is an error that names the fix, never an option silently ignored.</summary>
public sealed class StrictCommandLineTests
{
    [Theory]
    [InlineData(new[] { "run", "--max-experimets", "1" }, "unknown option --max-experimets; did you mean --max-experiments?")]
    [InlineData(new[] { "run", "--paralel", "2" }, "unknown option --paralel; did you mean --parallel?")]
    [InlineData(new[] { "status", "--bogus" }, "unknown option --bogus (`autoresearch status --help` lists the options)")]
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
            Assert.Contains(message, output.ReplaceLineEndings(" "), StringComparison.Ordinal);
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
    public async Task Version_prints_the_tools_version()
    {
        var (code, output) = await CliRunner.RunAsync("--version");

        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", output.Trim());
    }
}
