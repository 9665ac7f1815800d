using AutoResearch.Core;

namespace AutoResearch.Llm;

/// <summary>
/// The model's endpoint answered with an error that retrying did not cure: bad credentials (401, 403), an unknown
/// model or endpoint (404), a request it refused (400), or rate limits and server errors past the retries.
/// </summary>
public sealed class ModelApiException : AutoResearchException
{
    public ModelApiException(string message, int? statusCode, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status, or null when no answer came (the connection failed).</summary>
    public int? StatusCode { get; }

    /// <summary>
    /// True when going on is pointless until the user fixes the configuration: bad credentials (401, 403) or a model or
    /// endpoint that does not exist (404). Other failures are recorded as a failed proposal and the loop goes on.
    /// </summary>
    public bool IsFatal => StatusCode is 401 or 403 or 404;

    public override bool IsUsageError => IsFatal;
}
