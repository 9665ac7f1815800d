using AutoResearch.Core;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>The coordinator cannot start or serve: a bad option, a database it cannot use, a project it cannot read.</summary>
public sealed class SwarmException : AutoResearchException
{
    public SwarmException(string message, bool isUsageError, Exception? innerException = null)
        : base(message, innerException) => IsUsageError = isUsageError;

    public override bool IsUsageError { get; }
}
