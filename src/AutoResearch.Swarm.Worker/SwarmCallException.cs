using AutoResearch.Core;

namespace AutoResearch.Swarm.Worker;

/// <summary>The coordinator refused a request (a 4xx answer other than rate limiting): retrying the same request will not help.</summary>
public sealed class SwarmCallException(int status, string title, string detail)
    : AutoResearchException($"coordinator refused ({status} {title}): {detail}")
{
    /// <summary>The HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>The problem's title.</summary>
    public string Title { get; } = title;

    public override bool IsUsageError => Status is 400 or 401 or 413;
}
