using System.Security.Cryptography;
using System.Text.RegularExpressions;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Running;

/// <summary>
/// The split behind trusted scoring: <c>[score] data</c> cut into a training file that runs may read and a holdout
/// that stays in the harness's memory (sent to the scoring server, never written where a run can see it).
/// </summary>
/// <param name="Source">The corpus file (hidden from runs under the sandbox).</param>
/// <param name="TrainPath">The training split, written once per corpus under the workspace's state folder.</param>
/// <param name="Holdout">The last <c>holdout_fraction</c> of the corpus.</param>
internal sealed partial record TrustedData(string Source, string TrainPath, byte[] Holdout)
{
    /// <summary>Reads <c>[score] data</c> of <paramref name="spec"/> and writes the training split if it is not there yet.</summary>
    /// <exception cref="ResearchException">The data file does not exist or is too small.</exception>
    public static TrustedData Prepare(ResearchSpec spec, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var text = spec.Score.Data ?? throw new InvalidOperationException("[score] data is not set");
        var source = Expand(text, environment ?? Environment.GetEnvironmentVariable);
        if (source.Length == 0 || !File.Exists(source))
        {
            throw new ResearchException(
                $"[score] data = \"{text}\" names '{source}', which does not exist; set AUTORESEARCH_DATA to the corpus " +
                "(or run the workload once with [score] mode = \"self-reported\" so that it downloads its data)");
        }

        source = Path.GetFullPath(source);
        var bytes = File.ReadAllBytes(source);
        var holdout = (int)(bytes.Length * spec.Score.HoldoutFraction);
        if (holdout < 2 || bytes.Length - holdout < 2)
        {
            throw new ResearchException($"[score] data '{source}' holds {bytes.Length} bytes, too few to hold out {spec.Score.HoldoutFraction:P0} for scoring");
        }

        var folder = Path.Combine(spec.Root, ".autoresearch", "trusted");
        Directory.CreateDirectory(folder);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
        var train = Path.Combine(folder, $"train-{hash}-{bytes.Length - holdout}.bin");
        if (!File.Exists(train))
        {
            var temp = train + $".{Environment.ProcessId}.tmp";
            File.WriteAllBytes(temp, bytes[..^holdout]);
            File.Move(temp, train, overwrite: true);
        }

        return new TrustedData(source, train, bytes[^holdout..]);
    }

    /// <summary>Expands a leading <c>~</c>, and <c>$VAR</c>, <c>${VAR}</c> and <c>${VAR:-default}</c>.</summary>
    internal static string Expand(string text, Func<string, string?> environment)
    {
        var expanded = Variable().Replace(text, m =>
        {
            var name = m.Groups["braced"].Success ? m.Groups["braced"].Value : m.Groups["bare"].Value;
            var value = environment(name);
            return string.IsNullOrEmpty(value) && m.Groups["default"].Success ? m.Groups["default"].Value : value ?? "";
        });
        return expanded == "~" || expanded.StartsWith("~/", StringComparison.Ordinal)
            ? (environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)) + expanded[1..]
            : expanded;
    }

    [GeneratedRegex(@"\$(?:\{(?<braced>[A-Za-z_][A-Za-z0-9_]*)(?::-(?<default>[^}]*))?\}|(?<bare>[A-Za-z_][A-Za-z0-9_]*))")]
    private static partial Regex Variable();
}
