namespace AutoResearch.Llm;

/// <summary>
/// How a request that hit a rate limit (429), a server error (5xx) or a broken connection is retried: up to
/// <see cref="MaxRetries"/> times, waiting <see cref="BaseDelay"/>·2^attempt (at most <see cref="MaxDelay"/>) or what the
/// server's <c>Retry-After</c> asks, whichever is longer (still capped by <see cref="MaxDelay"/>).
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>Retries after the first attempt; default 6.</summary>
    public int MaxRetries { get; init; } = 6;

    /// <summary>The first wait; default 2 s.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait; default 2 minutes.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>The wait before retry number <paramref name="attempt"/> (0 for the first retry), given the server's <c>Retry-After</c>.</summary>
    public TimeSpan Delay(int attempt, TimeSpan? retryAfter)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        var backoff = BaseDelay * Math.Pow(2, Math.Min(attempt, 30));
        var wait = retryAfter is { } asked && asked > backoff ? asked : backoff;
        return wait > MaxDelay ? MaxDelay : wait;
    }

    internal IEnumerable<string> Validate()
    {
        if (MaxRetries is < 0 or > 100)
        {
            yield return $"the number of retries ({MaxRetries}) must be from 0 to 100";
        }

        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay)
        {
            yield return $"retry delays must satisfy 0 <= base ({BaseDelay}) <= max ({MaxDelay})";
        }
    }
}
