using AutoResearch.Core;

namespace AutoResearch.Llm;

/// <summary>
/// The model's endpoint answered with an error that retrying did not cure: bad credentials (401, 403), an unknown
/// model or endpoint (404), a request it refused (400), or rate limits and server errors past the retries.
/// </summary>
public sealed class ModelApiException : AutoResearchException
{
    public ModelApiException(string message, int? statusCode, Exception? innerException = null, bool unreachable = false)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Unreachable = unreachable;
    }

    /// <summary>The HTTP status, or null when no answer came (the connection failed).</summary>
    public int? StatusCode { get; }

    /// <summary>True when no connection could be made to the endpoint, through every retry.</summary>
    public bool Unreachable { get; }

    /// <summary>
    /// True when going on is pointless until the user acts: bad credentials (401, 403), a model or endpoint that does not
    /// exist (404), or an endpoint that cannot be reached at all. Other failures are recorded as a failed proposal and the
    /// loop goes on.
    /// </summary>
    public bool IsFatal => StatusCode is 401 or 403 or 404 || Unreachable;

    /// <summary>Bad credentials and unknown models are fixed in the configuration; an unreachable server may just be down.</summary>
    public override bool IsUsageError => StatusCode is 401 or 403 or 404;
}
