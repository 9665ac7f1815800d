using AutoResearch.Cli.Tests.Support;

namespace AutoResearch.Cli.Tests;

public sealed class PlotCommandTests
{
    [Fact]
    public async Task Plot_writes_a_png_of_the_latest_run()
    {
        var dir = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "plot-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Assert.Equal(0, (await CliRunner.RunAsync("init", dir)).ExitCode);
            Assert.Equal(0, (await CliRunner.RunAsync("run", dir, "--max-experiments", "2", "--plain")).ExitCode);
            var png = Path.Combine(dir, "out", "progress.png");

            var (code, output) = await CliRunner.RunAsync("plot", dir, "-o", png, "--width", "640", "--height", "360");

            Assert.Equal(0, code);
            Assert.Contains("2 proposals after the baseline", output, StringComparison.Ordinal);
            var bytes = await File.ReadAllBytesAsync(png);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Plot_without_runs_says_how_to_start_one()
    {
        var dir = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "plot-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Assert.Equal(0, (await CliRunner.RunAsync("init", dir)).ExitCode);

            var (code, output) = await CliRunner.RunAsync("plot", dir);

            Assert.Equal(2, code);
            Assert.Contains("no runs yet", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("--port", "70000")]
    [InlineData("--host", "localhost:80")]
    public async Task Dashboard_rejects_a_bad_address_as_usage(string option, string value)
    {
        var (code, output) = await CliRunner.RunAsync("dashboard", ".", option, value);

        Assert.Equal(2, code);
        Assert.Contains(value, output, StringComparison.Ordinal);
    }
}
