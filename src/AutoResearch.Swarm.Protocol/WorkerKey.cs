using System.Globalization;
using NSec.Cryptography;

namespace AutoResearch.Swarm.Protocol;

/// <summary>
/// A worker's Ed25519 identity. The private key never leaves the worker's machine; the public key (base64url) is the
/// worker's name at the coordinator. Sign each request with <see cref="Sign"/>.
/// </summary>
public sealed class WorkerKey : IDisposable
{
    private static readonly SignatureAlgorithm s_ed25519 = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    private WorkerKey(Key key)
    {
        _key = key;
        PublicKey = Base64Url.Encode(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    /// <summary>The public key, base64url (43 characters): the worker's identity.</summary>
    public string PublicKey { get; }

    /// <summary>A new random key.</summary>
    public static WorkerKey Generate() =>
        new(Key.Create(s_ed25519, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>
    /// The key stored at <paramref name="path"/>, or a new one written there (mode 600) when the file does not exist.
    /// </summary>
    /// <exception cref="InvalidDataException">The file exists but does not hold a key.</exception>
    public static WorkerKey LoadOrCreate(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path))
        {
            var seed = Base64Url.TryDecode(File.ReadAllText(path).Trim());
            if (seed is not { Length: 32 })
            {
                throw new InvalidDataException($"{path} does not hold an Ed25519 key (expected 32 bytes, base64url); move it away to make a new key");
            }

            return new WorkerKey(Key.Import(s_ed25519, seed, KeyBlobFormat.RawPrivateKey,
                new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));
        }

        var key = Generate();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, Base64Url.Encode(key._key.Export(KeyBlobFormat.RawPrivateKey)) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return key;
    }

    /// <summary>The signature headers for one request.</summary>
    /// <param name="method">The HTTP method.</param>
    /// <param name="pathAndQuery">The path as sent, starting with <see cref="ProtocolVersion.Prefix"/>.</param>
    /// <param name="body">The exact body bytes (empty for none).</param>
    /// <param name="issued">When the request is issued.</param>
    /// <param name="nonce">A fresh nonce (<see cref="CanonicalRequest.NewNonce"/>); pass the same one only to replay on purpose.</param>
    public IReadOnlyList<KeyValuePair<string, string>> Sign(string method, string pathAndQuery, ReadOnlySpan<byte> body, DateTimeOffset issued, string nonce)
    {
        var time = issued.ToUnixTimeMilliseconds();
        var bytes = CanonicalRequest.Build(method, pathAndQuery, body, time, nonce, PublicKey);
        var signature = s_ed25519.Sign(_key, bytes);
        return
        [
            new(SignedHeaders.Key, PublicKey),
            new(SignedHeaders.Time, time.ToString(CultureInfo.InvariantCulture)),
            new(SignedHeaders.Nonce, nonce),
            new(SignedHeaders.Signature, Base64Url.Encode(signature)),
        ];
    }

    /// <summary>True when <paramref name="signature"/> is a valid Ed25519 signature of <paramref name="data"/> by <paramref name="publicKey"/>.</summary>
    public static bool Verify(string publicKey, ReadOnlySpan<byte> data, string signature)
    {
        var raw = Base64Url.TryDecode(publicKey);
        var sig = Base64Url.TryDecode(signature);
        if (raw is not { Length: 32 } || sig is not { Length: 64 })
        {
            return false;
        }

        if (!NSec.Cryptography.PublicKey.TryImport(s_ed25519, raw, KeyBlobFormat.RawPublicKey, out var key) || key is null)
        {
            return false;
        }

        return s_ed25519.Verify(key, data, sig);
    }

    /// <summary>True when <paramref name="publicKey"/> is a well-formed Ed25519 public key.</summary>
    public static bool IsPublicKey(string? publicKey) =>
        Base64Url.TryDecode(publicKey) is { Length: 32 } raw && NSec.Cryptography.PublicKey.TryImport(s_ed25519, raw, KeyBlobFormat.RawPublicKey, out _);

    public void Dispose() => _key.Dispose();
}
