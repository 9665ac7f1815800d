namespace AutoResearch.Core;

/// <summary>The research itself cannot go on: the baseline failed, setup failed, the agent cannot start.</summary>
public sealed class ResearchException : AutoResearchException
{
    public ResearchException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    public override bool IsUsageError => false;
}
