namespace AutoResearch.Core;

/// <summary>
/// The root of every domain failure the harness reports: a bad spec, a workspace it cannot use,
/// an experiment it cannot run. The CLI maps <see cref="IsUsageError"/> to exit code 2 and the
/// rest to exit code 1.
/// </summary>
public abstract class AutoResearchException : Exception
{
    protected AutoResearchException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>True when the user can fix the failure by changing arguments or configuration.</summary>
    public abstract bool IsUsageError { get; }
}
