using AutoResearch.Core.Running;

namespace AutoResearch.Core.Tests.Running;

public sealed class CappedLogTests
{
    [Fact]
    public void A_log_under_the_cap_is_kept_whole()
    {
        var path = Path.Combine(Path.GetTempPath(), "autoresearch-tests", $"log-{Guid.NewGuid():N}.log");
        using (var log = new CappedLog(path, maxBytes: 4096))
        {
            for (var i = 0; i < 50; i++)
            {
                log.WriteLine($"line {i}");
            }
        }

        var lines = File.ReadAllLines(path);
        Assert.Equal(50, lines.Length);
        Assert.Equal("line 49", lines[^1]);
        File.Delete(path);
    }

    [Fact]
    public void A_flood_keeps_its_start_and_its_end_and_says_how_much_was_dropped()
    {
        var path = Path.Combine(Path.GetTempPath(), "autoresearch-tests", $"log-{Guid.NewGuid():N}.log");
        using (var log = new CappedLog(path, maxBytes: 4096))
        {
            log.WriteLine("first error: boom");
            for (var i = 0; i < 100_000; i++)
            {
                log.WriteLine($"noise {i} {new string('x', 40)}");
            }

            log.WriteLine("---");
            log.WriteLine("score: 1.5");
            // One line larger than the whole window keeps only its start.
            log.WriteLine(new string('y', 100_000));
            log.WriteLine("last line");
        }

        var text = File.ReadAllText(path);
        Assert.True(new FileInfo(path).Length < 4096 + 300, $"{new FileInfo(path).Length} bytes");
        Assert.StartsWith("first error: boom", text, StringComparison.Ordinal);
        Assert.Contains("[autoresearch] log capped at", text, StringComparison.Ordinal);
        Assert.Matches(@"dropped here", text);
        Assert.EndsWith("last line\n", text, StringComparison.Ordinal);
        File.Delete(path);
    }

    [Fact]
    public void Lines_after_close_are_ignored()
    {
        var path = Path.Combine(Path.GetTempPath(), "autoresearch-tests", $"log-{Guid.NewGuid():N}.log");
        var log = new CappedLog(path, maxBytes: 4096);
        log.WriteLine("before");
        log.Dispose();

        log.WriteLine("after");

        Assert.Equal(["before"], File.ReadAllLines(path));
        File.Delete(path);
    }
}
