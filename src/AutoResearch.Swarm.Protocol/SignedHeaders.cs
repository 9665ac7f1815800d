namespace AutoResearch.Swarm.Protocol;

/// <summary>The HTTP headers that carry a request's signature.</summary>
public static class SignedHeaders
{
    /// <summary>The worker's Ed25519 public key, base64url without padding (43 characters).</summary>
    public const string Key = "X-Swarm-Key";

    /// <summary>When the request was issued: Unix milliseconds.</summary>
    public const string Time = "X-Swarm-Time";

    /// <summary>A fresh 128-bit random value per request, 32 lowercase hex digits.</summary>
    public const string Nonce = "X-Swarm-Nonce";

    /// <summary>The Ed25519 signature over <see cref="CanonicalRequest"/>, base64url without padding.</summary>
    public const string Signature = "X-Swarm-Signature";

    /// <summary>Set on a reply that was stored for an earlier request with the same nonce.</summary>
    public const string Replayed = "X-Swarm-Replayed";
}
