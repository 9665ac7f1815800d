namespace AutoResearch.TinyGpt;

/// <summary>A failure of the workload that a user can fix: missing data, a bad setting.</summary>
public sealed class WorkloadException : Exception
{
    /// <summary>Creates the exception with a message that says what failed and what to do.</summary>
    public WorkloadException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public WorkloadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public WorkloadException()
    {
    }
}
