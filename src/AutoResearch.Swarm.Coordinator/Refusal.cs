namespace AutoResearch.Swarm.Coordinator;

/// <summary>A request the coordinator will not serve, answered as ProblemDetails with <see cref="Status"/>.</summary>
internal sealed class Refusal(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public string Title { get; } = title;
}
