namespace AutoResearch.Core;

/// <summary>The workspace cannot be used as it is: not a git repository, uncommitted changes, a git failure.</summary>
public sealed class WorkspaceException : AutoResearchException
{
    public WorkspaceException(string message, bool isUsageError = true, Exception? innerException = null)
        : base(message, innerException)
    {
        IsUsageError = isUsageError;
    }

    public override bool IsUsageError { get; }
}
