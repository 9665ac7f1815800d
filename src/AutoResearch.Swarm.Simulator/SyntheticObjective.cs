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
    public const int Knobs = 8;
    private readonly double[] _centers;
    private readonly double[] _weights;

    public SyntheticObjective(int seed, double sigma)
    {
        var random = new Random(seed);
        _centers = Enumerable.Range(0, Knobs).Select(_ => random.NextDouble()).ToArray();
        _weights = Enumerable.Range(0, Knobs).Select(_ => 0.5 + (1.5 * random.NextDouble())).ToArray();
        Sigma = sigma;
    }

    public double Sigma { get; }

    /// <summary>The base file: every knob at 0.</summary>
    public static string BaseText => string.Concat(Enumerable.Range(0, Knobs).Select(i => Line(i, 0)));

    public static string Line(int knob, double value) => string.Create(CultureInfo.InvariantCulture, $"k{knob} = {value:0.000000}\n");

    /// <summary>The noiseless loss of <paramref name="text"/>.</summary>
    public double TrueLoss(string text)
    {
        var x = Parse(text);
        return 1 + Enumerable.Range(0, Knobs).Sum(i => _weights[i] * (x[i] - _centers[i]) * (x[i] - _centers[i]));
    }

    /// <summary>The measured loss of <paramref name="text"/> at <paramref name="seed"/>.</summary>
    public double Measure(string text, int seed, bool holdout = false) => TrueLoss(text) + (Sigma * Gaussian(text, seed, holdout));

    public static double[] Parse(string text)
    {
        var values = new double[Knobs];
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
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

    /// <summary>Applies a patch made by <see cref="Patch"/>; null when its old lines do not match (a conflict).</summary>
    public static string? Apply(string text, string patch)
    {
        var lines = text.Split('\n').ToList();
        var parts = patch.Split('\n');
        for (var i = 0; i < parts.Length; i++)
        {
            if (!parts[i].StartsWith("@@ -", StringComparison.Ordinal))
            {
                continue;
            }

            var number = int.Parse(parts[i][4..parts[i].IndexOf(' ', 4)], CultureInfo.InvariantCulture) - 1;
            if (i + 2 >= parts.Length || number < 0 || number >= lines.Count || lines[number] != parts[i + 1][1..])
            {
                return null;
            }

            lines[number] = parts[i + 2][1..];
        }

        return string.Join('\n', lines);
    }

    private static double Gaussian(string text, int seed, bool holdout)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes($"{(holdout ? "holdout" : "val")}|{seed}|{text}"));
        var u1 = (BitConverter.ToUInt64(bytes, 0) >> 11) * (1.0 / (1UL << 53));
        var u2 = (BitConverter.ToUInt64(bytes, 8) >> 11) * (1.0 / (1UL << 53));
        return Math.Sqrt(-2 * Math.Log(Math.Max(u1, 1e-300))) * Math.Cos(2 * Math.PI * u2);
    }
}
