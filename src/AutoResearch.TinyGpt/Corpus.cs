using System.Security.Cryptography;

namespace AutoResearch.TinyGpt;

/// <summary>
/// The training text: tiny shakespeare by default, downloaded once into a cache, or any file given by
/// <c>--data PATH</c> / <c>AUTORESEARCH_DATA</c>. The last 10% of the bytes is the validation split.
/// </summary>
public sealed class Corpus
{
    /// <summary>Where tiny shakespeare is downloaded from.</summary>
    public const string ShakespeareUrl = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt";

    /// <summary>SHA-256 of tiny shakespeare, checked after download.</summary>
    public const string ShakespeareSha256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed";

    /// <summary>The fraction of the corpus, taken from its end, used for validation.</summary>
    public const double ValidationFraction = 0.1;

    internal Corpus(byte[] bytes, bool trainOnly = false)
    {
        if (trainOnly)
        {
            // Trusted scoring: the harness kept the validation split; this file is the training split alone.
            if (bytes.Length < 2)
            {
                throw new WorkloadException($"the training split holds {bytes.Length} bytes; at least 2 are needed");
            }

            Train = ByteTokenizer.Encode(bytes);
            Validation = [];
            return;
        }

        if (bytes.Length < 64)
        {
            throw new WorkloadException($"the corpus holds {bytes.Length} bytes; at least 64 are needed for a train/validation split");
        }

        var split = bytes.Length - (int)(bytes.Length * ValidationFraction);
        Train = ByteTokenizer.Encode(bytes.AsSpan(0, split));
        Validation = ByteTokenizer.Encode(bytes.AsSpan(split));
    }

    /// <summary>Number of bytes in the whole corpus.</summary>
    public int Length => Train.Length + Validation.Length;

    /// <summary>Training tokens: the first 90% of the bytes.</summary>
    internal int[] Train { get; }

    /// <summary>Validation tokens: the last 10% of the bytes (none under trusted scoring). Only the fixed half reads them.</summary>
    internal int[] Validation { get; }

    /// <summary>The cache folder: <c>$XDG_CACHE_HOME/autoresearch</c> or <c>~/.cache/autoresearch</c>.</summary>
    public static string CacheDirectory
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            var root = string.IsNullOrEmpty(xdg) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
            return Path.Combine(root, "autoresearch");
        }
    }

    /// <summary>Loads the corpus from <paramref name="path"/>, or from the cache, downloading tiny shakespeare if needed.</summary>
    /// <exception cref="WorkloadException">The file is missing, or the download failed.</exception>
    /// <param name="path">The data file; null for the cache.</param>
    /// <param name="trainOnly">The file holds only the training split (trusted scoring): no validation split is made.</param>
    public static Corpus Load(string? path, bool trainOnly = false)
    {
        if (path is not null)
        {
            return File.Exists(path)
                ? new Corpus(File.ReadAllBytes(path), trainOnly)
                : throw new WorkloadException($"data file '{path}' does not exist; check --data or AUTORESEARCH_DATA");
        }

        var cached = Path.Combine(CacheDirectory, "tinyshakespeare", "input.txt");
        if (!File.Exists(cached))
        {
            Download(cached, new Uri(ShakespeareUrl));
        }

        return new Corpus(File.ReadAllBytes(cached));
    }

    /// <summary>No data at all: the scoring phase, which serves a checkpoint and trains nothing.</summary>
    internal static Corpus None { get; } = new(new byte[2], trainOnly: true);

    /// <summary>A corpus over the given bytes (tests, other data).</summary>
    public static Corpus FromBytes(byte[] bytes) => new(bytes ?? throw new ArgumentNullException(nameof(bytes)));

    internal static void Download(string destination, Uri url)
    {
        byte[] bytes;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            bytes = http.GetByteArrayAsync(url).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            // Offline is the common case here; say exactly how to proceed without the network.
            throw new WorkloadException(
                $"could not download tiny shakespeare from {url} ({e.Message}); pass --data PATH or set AUTORESEARCH_DATA to a local copy of the text",
                e);
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (hash != ShakespeareSha256)
        {
            throw new WorkloadException($"downloaded tiny shakespeare has SHA-256 {hash}, expected {ShakespeareSha256}; pass --data PATH or set AUTORESEARCH_DATA");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        var temp = destination + $".{Environment.ProcessId}.tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, destination, overwrite: true);
    }
}
