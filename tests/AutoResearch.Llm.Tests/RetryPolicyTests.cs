using System.Net.Http.Headers;

namespace AutoResearch.Llm.Tests;

public sealed class RetryPolicyTests
{
    private static readonly RetryPolicy s_policy = new() { BaseDelay = TimeSpan.FromSeconds(2), MaxDelay = TimeSpan.FromSeconds(60) };

    [Theory]
    [InlineData(0, null, 2)]
    [InlineData(1, null, 4)]
    [InlineData(3, null, 16)]
    [InlineData(10, null, 60)]
    [InlineData(0, 7.0, 7)]
    [InlineData(2, 3.0, 8)]
    [InlineData(0, 600.0, 60)]
    public void Delay_is_exponential_honours_retry_after_and_is_capped(int attempt, double? retryAfterSeconds, double expectedSeconds)
    {
        var delay = s_policy.Delay(attempt, retryAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : null);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), delay);
    }

    [Fact]
    public void Retry_after_is_read_in_milliseconds_seconds_or_as_a_date()
    {
        var now = new DateTimeOffset(2026, 11, 28, 8, 0, 0, TimeSpan.Zero);
        using var ms = new HttpResponseMessage();
        ms.Headers.TryAddWithoutValidation("retry-after-ms", "1500");
        ms.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(9));
        using var seconds = new HttpResponseMessage();
        seconds.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(9));
        using var date = new HttpResponseMessage();
        date.Headers.RetryAfter = new RetryConditionHeaderValue(now.AddSeconds(30));
        using var none = new HttpResponseMessage();

        Assert.Equal(TimeSpan.FromMilliseconds(1500), RetryHandler.RetryAfter(ms.Headers, now));
        Assert.Equal(TimeSpan.FromSeconds(9), RetryHandler.RetryAfter(seconds.Headers, now));
        Assert.Equal(TimeSpan.FromSeconds(30), RetryHandler.RetryAfter(date.Headers, now));
        Assert.Null(RetryHandler.RetryAfter(none.Headers, now));
    }

    [Fact]
    public void Options_report_every_problem_together()
    {
        var options = new LlmOptions { Model = " ", BaseUrl = new Uri("ftp://host/"), ApiKeyEnv = "MY-KEY", MaxToolCalls = 0, MaxTokens = 10 };

        var problems = options.Validate();

        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.Contains("needs a model", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("ftp://host/", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("MY-KEY", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("max_tool_calls = 0", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("max_tokens = 10", StringComparison.Ordinal));
    }
}
