using System.Security.Cryptography;
using System.Text;

namespace AutoResearch.Swarm.Coordinator.Storage;

/// <summary>Head ids: SHA-256 chained over the base commit and each accepted patch, so an id names one exact code.</summary>
internal static class HeadIds
{
    public static string Base(string baseCommit) => Hash("base\n" + baseCommit);

    public static string Next(string previous, string patch) => Hash(previous + "\n" + patch);

    /// <summary>
    /// A patch's text without git's index lines, hashed: what <c>claims.patch_hash</c> holds. Kept only because that column is
    /// <c>NOT NULL</c> in existing databases; it decides nothing (a claim is identified by its effect, <see cref="Core.Workspace.PatchEffect.Identity"/>).
    /// </summary>
    public static string Patch(string patch)
    {
        var kept = patch.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n')
            .Where(l => !l.StartsWith("index ", StringComparison.Ordinal))
            .Select(l => l.TrimEnd());
        return Hash(string.Join('\n', kept).Trim());
    }

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
