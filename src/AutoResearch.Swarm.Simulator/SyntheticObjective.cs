using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AutoResearch.Swarm.Simulator;

/// <summary>
/// The simulator's workload: <c>params.txt</c> holds <see cref="Knobs"/> lines <c>kI = value</c>; its loss is
/// 1 + Σ wᵢ(xᵢ − cᵢ)² plus Gaussian noise of σ <see cref="Sigma"/> drawn from (seed, code): the same code at the same seed
/// gives the same value (as the tiny GPT does on one instruction set), another seed other noise. The holdout draws its noise
/// from a different stream. Patches are git-style unified diffs of single lines.
/// </summary>
internal sealed class SyntheticObjective
{
    public const string File = "params.txt";

    /// <summary>The default number of knobs (and the count <see cref="BaseText"/> has).</summary>
    public const int Knobs = 8;
    private readonly double[] _centers;
    private readonly double[] _weights;

    /// <param name="knobs">How many knobs params.txt has: the problem's dimension. Default <see cref="Knobs"/>.</param>
    public SyntheticObjective(int seed, double sigma, int knobs = Knobs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(knobs, 1);
        var random = new Random(seed);
        _centers = Enumerable.Range(0, knobs).Select(_ => random.NextDouble()).ToArray();
        _weights = Enumerable.Range(0, knobs).Select(_ => 0.5 + (1.5 * random.NextDouble())).ToArray();
        Sigma = sigma;
        KnobCount = knobs;
        Base = BaseOfKnobs(knobs);
    }

    public double Sigma { get; }

    /// <summary>How many knobs this objective has.</summary>
    public int KnobCount { get; }

    /// <summary>This objective's base file: every knob at 0.</summary>
    public string Base { get; }

    /// <summary>The base file of the default <see cref="Knobs"/> knobs: every knob at 0.</summary>
    public static string BaseText => BaseOfKnobs(Knobs);

    public static string BaseOfKnobs(int knobs) => string.Concat(Enumerable.Range(0, knobs).Select(i => Line(i, 0)));

    public static string Line(int knob, double value) => string.Create(CultureInfo.InvariantCulture, $"k{knob} = {value:0.000000}\n");

    /// <summary>The noiseless loss of <paramref name="text"/>.</summary>
    public double TrueLoss(string text)
    {
        var x = Parse(text);
        return 1 + Enumerable.Range(0, KnobCount).Sum(i => _weights[i] * (x[i] - _centers[i]) * (x[i] - _centers[i]));
    }

    /// <summary>The measured loss of <paramref name="text"/> at <paramref name="seed"/>.</summary>
    public double Measure(string text, int seed, bool holdout = false) => TrueLoss(text) + (Sigma * Gaussian(text, seed, holdout));

    public static double[] Parse(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var values = new double[lines.Length];
        foreach (var line in lines)
        {
            var parts = line.Split(" = ");
            values[int.Parse(parts[0][1..], CultureInfo.InvariantCulture)] = double.Parse(parts[1], CultureInfo.InvariantCulture);
        }

        return values;
    }

    /// <summary>A one-line patch setting <paramref name="knob"/> to <paramref name="value"/> in <paramref name="text"/>.</summary>
    public static string Patch(string text, int knob, double value, string path = File)
    {
        var old = text.Split('\n')[knob];
        return $"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -{knob + 1} +{knob + 1} @@\n-{old}\n+{Line(knob, value).TrimEnd('\n')}\n";
    }

    /// <summary>
    /// Applies a zero-context unified diff (as <see cref="Patch"/> writes it, or <c>git diff -U0</c> for several lines, as a merged
    /// link is); null when its old lines do not match (a conflict).
    /// </summary>
    public static string? Apply(string text, string patch)
    {
        var lines = text.Split('\n').ToList();
        var parts = patch.Split('\n');
        var offset = 0;
        for (var i = 0; i < parts.Length; i++)
        {
            if (!parts[i].StartsWith("@@ -", StringComparison.Ordinal))
            {
                continue;
            }

            var ranges = parts[i].Split(' ');
            var (oldStart, oldCount) = Range(ranges[1][1..]);
            var (_, newCount) = Range(ranges[2][1..]);
            var removed = parts.Skip(i + 1).Take(oldCount).ToList();
            var added = parts.Skip(i + 1 + oldCount).Take(newCount).ToList();
            // A hunk without old lines inserts after its start line; one with them replaces from it.
            var at = (oldCount == 0 ? oldStart : oldStart - 1) + offset;
            if (removed.Count != oldCount || added.Count != newCount || removed.Any(l => !l.StartsWith('-')) || added.Any(l => !l.StartsWith('+'))
                || at < 0 || at + oldCount > lines.Count || !removed.Select(l => l[1..]).SequenceEqual(lines.Skip(at).Take(oldCount)))
            {
                return null;
            }

            lines.RemoveRange(at, oldCount);
            lines.InsertRange(at, added.Select(l => l[1..]));
            offset += newCount - oldCount;
            i += oldCount + newCount;
        }

        return string.Join('\n', lines);
    }

    /// <summary>A hunk range <c>start[,count]</c> (count 1 when absent).</summary>
    private static (int Start, int Count) Range(string range)
    {
        var comma = range.IndexOf(',', StringComparison.Ordinal);
        return comma < 0
            ? (int.Parse(range, CultureInfo.InvariantCulture), 1)
            : (int.Parse(range[..comma], CultureInfo.InvariantCulture), int.Parse(range[(comma + 1)..], CultureInfo.InvariantCulture));
    }

    private static double Gaussian(string text, int seed, bool holdout)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"{(holdout ? "holdout" : "val")}|{seed}|{text}"));
        var u1 = (BitConverter.ToUInt64(bytes, 0) >> 11) * (1.0 / (1UL << 53));
        var u2 = (BitConverter.ToUInt64(bytes, 8) >> 11) * (1.0 / (1UL << 53));
        return Math.Sqrt(-2 * Math.Log(Math.Max(u1, 1e-300))) * Math.Cos(2 * Math.PI * u2);
    }
}
