using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AutoResearch.Swarm.Protocol;

/// <summary>
/// The bytes a worker signs: UTF-8 of these lines, each ending in <c>\n</c>:
/// <code>
/// autoresearch-swarm/v1
/// METHOD            (upper case)
/// /v1/path?query    (exactly as sent)
/// sha256(body)      (64 lowercase hex digits; of the empty string when there is no body)
/// issued            (Unix milliseconds, decimal)
/// nonce             (32 lowercase hex digits)
/// key               (the public key, base64url)
/// </code>
/// Everything the coordinator acts on is covered, so no part can be swapped between requests.
/// </summary>
public static class CanonicalRequest
{
    /// <summary>The first line: the protocol and its version.</summary>
    public const string Domain = "autoresearch-swarm/" + ProtocolVersion.Current;

    /// <summary>The canonical bytes of one request.</summary>
    public static byte[] Build(string method, string pathAndQuery, ReadOnlySpan<byte> body, long issuedUnixMs, string nonce, string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(method);
        ArgumentException.ThrowIfNullOrEmpty(pathAndQuery);
        ArgumentException.ThrowIfNullOrEmpty(nonce);
        ArgumentException.ThrowIfNullOrEmpty(key);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{Domain}\n{method.ToUpperInvariant()}\n{pathAndQuery}\n{BodyHash(body)}\n{issuedUnixMs}\n{nonce}\n{key}\n");
        return Encoding.UTF8.GetBytes(text);
    }

    /// <summary>SHA-256 of <paramref name="body"/> as lowercase hex.</summary>
    public static string BodyHash(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body));

    /// <summary>A fresh 128-bit nonce as 32 lowercase hex digits.</summary>
    public static string NewNonce() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>True when <paramref name="nonce"/> is 32 lowercase hex digits.</summary>
    public static bool IsNonce(string? nonce) =>
        nonce is { Length: 32 } && nonce.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
}
