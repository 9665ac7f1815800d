using System.Security.Cryptography;
using System.Text;

namespace AutoResearch.Core.Records;

/// <summary>
/// The secret that seals one ledger's rows: 32 random bytes in
/// <c>$XDG_CONFIG_HOME/autoresearch/ledger-keys/&lt;hash&gt;.key</c> (<c>~/.config</c> when <c>XDG_CONFIG_HOME</c> is unset),
/// where <c>&lt;hash&gt;</c> is the first 32 hex digits of the SHA-256 of the ledger's full path. The file lives outside
/// the workspace, mode 0600, so code that sees only the workspace (an agent, an experiment in its sandbox) can rewrite
/// ledger rows but cannot recompute their seals. Creating the key is the moment of trust: a ledger opened with a key
/// that was just created has its existing rows sealed as they stand (see <see cref="Ledger.Open"/>).
/// </summary>
public sealed class LedgerKey
{
    /// <summary>The key's length in bytes.</summary>
    public const int Length = 32;

    private readonly byte[] _secret;

    private LedgerKey(byte[] secret, string filePath, string ledgerPath, bool created)
    {
        _secret = secret;
        FilePath = filePath;
        LedgerPath = ledgerPath;
        Created = created;
        // A fingerprint that names the key without revealing it, so a ledger can say which key sealed it.
        Id = Convert.ToHexStringLower(HMACSHA256.HashData(secret, "autoresearch ledger key id"u8)[..8]);
    }

    /// <summary>The key file (hide it from sandboxes: whoever reads it can forge seals).</summary>
    public string FilePath { get; }

    /// <summary>The full path of the ledger this key seals.</summary>
    public string LedgerPath { get; }

    /// <summary>True when this call created the key file (so the ledger's rows are trusted as they are now).</summary>
    public bool Created { get; }

    /// <summary>A public fingerprint of the key (16 hex digits), recorded in the ledger's <c>meta</c> table.</summary>
    public string Id { get; }

    /// <summary>The folder that holds ledger keys: <c>$XDG_CONFIG_HOME/autoresearch/ledger-keys</c> or <c>~/.config/autoresearch/ledger-keys</c>.</summary>
    public static string DefaultDirectory
    {
        get
        {
            // The XDG spec says to ignore a relative XDG_CONFIG_HOME.
            var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
            var root = string.IsNullOrEmpty(xdg) || !System.IO.Path.IsPathRooted(xdg)
                ? System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config")
                : xdg;
            return System.IO.Path.Combine(root, "autoresearch", "ledger-keys");
        }
    }

    /// <summary>Where the key of the ledger at <paramref name="ledgerPath"/> lives.</summary>
    /// <param name="ledgerPath">The ledger database (relative paths are resolved against the current folder).</param>
    /// <param name="keyDirectory">The folder of key files; default <see cref="DefaultDirectory"/> (tests pass their own).</param>
    public static string PathFor(string ledgerPath, string? keyDirectory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(ledgerPath);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(System.IO.Path.GetFullPath(ledgerPath))))[..32];
        return System.IO.Path.Combine(keyDirectory ?? DefaultDirectory, hash + ".key");
    }

    /// <summary>Loads the ledger's key, or creates it (32 random bytes, mode 0600, folder 0700) when there is none.</summary>
    /// <exception cref="WorkspaceException">The key file exists but is not a key.</exception>
    public static LedgerKey LoadOrCreate(string ledgerPath, string? keyDirectory = null)
    {
        if (LoadIfExists(ledgerPath, keyDirectory) is { } existing)
        {
            return existing;
        }

        var path = PathFor(ledgerPath, keyDirectory);
        var folder = System.IO.Path.GetDirectoryName(path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        // Write a temporary file, then move it into place without overwriting: two processes that race here agree
        // on one key, and nobody ever reads a half-written one.
        var secret = RandomNumberGenerator.GetBytes(Length);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(secret);
            stream.Flush(flushToDisk: true);
        }

        try
        {
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process created the key first; use theirs.
            File.Delete(temporary);
            return LoadIfExists(ledgerPath, keyDirectory)!;
        }

        return new LedgerKey(secret, path, System.IO.Path.GetFullPath(ledgerPath), created: true);
    }

    /// <summary>Loads the ledger's key, or returns null when it has none (never creates one).</summary>
    /// <exception cref="WorkspaceException">The key file exists but is not a key.</exception>
    public static LedgerKey? LoadIfExists(string ledgerPath, string? keyDirectory = null)
    {
        var path = PathFor(ledgerPath, keyDirectory);
        byte[] secret;
        try
        {
            secret = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            // No key yet: the caller decides whether to create one.
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }

        if (secret.Length != Length)
        {
            throw new WorkspaceException(
                $"the ledger key {path} is {secret.Length} bytes, not {Length}; it was damaged or replaced. Delete it only if you trust " +
                $"{ledgerPath} as it is now: the next `{ToolCommand.Of("run")}` makes a new key and seals the ledger again");
        }

        return new LedgerKey(secret, path, System.IO.Path.GetFullPath(ledgerPath), created: false);
    }

    /// <summary>A new HMAC-SHA256 under this key.</summary>
    internal IncrementalHash CreateHmac() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _secret);
}
