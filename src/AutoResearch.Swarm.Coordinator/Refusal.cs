namespace AutoResearch.Swarm.Coordinator;

/// <summary>A request the coordinator will not serve, answered as ProblemDetails with <see cref="Status"/>.</summary>
/// <param name="field">The request field at fault (snake_case, as on the wire), when one is: the problem carries it as <c>field</c>.</param>
internal sealed class Refusal(int status, string title, string detail, string? field = null) : Exception(detail)
{
    public int Status { get; } = status;

    public string Title { get; } = title;

    public string? Field { get; } = field;
}
