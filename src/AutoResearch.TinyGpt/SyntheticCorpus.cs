using System.Text;
using AutoResearch.Nn;

namespace AutoResearch.TinyGpt;

/// <summary>
/// A seeded generator of easy text for tests: sentences over a tiny vocabulary with fixed grammar, which
/// a small model learns within seconds.
/// </summary>
public static class SyntheticCorpus
{
    private static string[] Subjects { get; } = ["the cat", "a dog", "my king", "the queen", "our fool"];
    private static string[] Verbs { get; } = ["sees", "loves", "bites", "follows"];
    private static string[] Objects { get; } = ["the moon", "a crown", "the sea", "my hat"];

    /// <summary>About <paramref name="length"/> bytes of generated sentences (exactly that many).</summary>
    public static byte[] Generate(int length, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var rng = new Rng(seed);
        var sb = new StringBuilder(length + 64);
        while (sb.Length < length)
        {
            sb.Append(Subjects[rng.NextInt(Subjects.Length)]).Append(' ')
              .Append(Verbs[rng.NextInt(Verbs.Length)]).Append(' ')
              .Append(Objects[rng.NextInt(Objects.Length)]).Append(".\n");
        }

        return Encoding.ASCII.GetBytes(sb.ToString(0, length));
    }
}
