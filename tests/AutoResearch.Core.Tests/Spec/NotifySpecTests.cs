using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Tests.Spec;

public sealed class NotifySpecTests
{
    private const string Base = """
        [objective]
        metric = "score"
        direction = "minimize"

        [run]
        command = "bash experiment.sh"

        [scope]
        editable = ["knobs.sh"]

        """;

    [Fact]
    public void Notify_section_is_read()
    {
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base + """
            [notify]
            webhook = "https://ntfy.sh"
            topic = "my-research"
            crash_streak = 5
            """);

        Assert.Equal(new Uri("https://ntfy.sh"), spec.Notify.Webhook);
        Assert.Equal("my-research", spec.Notify.Topic);
        Assert.Equal(5, spec.Notify.CrashStreak);
    }

    [Fact]
    public void Without_notify_nothing_is_posted()
    {
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base);

        Assert.Null(spec.Notify.Webhook);
        Assert.Equal(3, spec.Notify.CrashStreak);
    }

    [Fact]
    public void Bad_notify_settings_are_reported_together()
    {
        var error = Assert.Throws<SpecException>(() => SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base + """
            [notify]
            webhook = "ftp://example.org/hook"
            topic = "has spaces"
            crash_streak = 0
            sound = true
            """));

        Assert.Contains(error.Problems, p => p.StartsWith("[notify] webhook = \"ftp://example.org/hook\" must be an http(s) URL", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("[notify] topic = \"has spaces\"", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("[notify] crash_streak = 0", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("unknown key [notify] sound", StringComparison.Ordinal));
    }
}
