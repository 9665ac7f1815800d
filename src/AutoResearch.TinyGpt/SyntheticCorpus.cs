using System.Text;
using AutoResearch.Nn;

namespace AutoResearch.TinyGpt;

/// <summary>
/// A seeded generator of easy text for tests: sentences over a tiny vocabulary with fixed grammar, which
/// a small model learns within seconds.
/// </summary>
public static class SyntheticCorpus
{
    private static readonly string[] s_subjects = ["the cat", "a dog", "my king", "the queen", "our fool"];
    private static readonly string[] s_verbs = ["sees", "loves", "bites", "follows"];
    private static readonly string[] s_objects = ["the moon", "a crown", "the sea", "my hat"];

    /// <summary>About <paramref name="length"/> bytes of generated sentences (exactly that many).</summary>
    public static byte[] Generate(int length, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var rng = new Rng(seed);
        var sb = new StringBuilder(length + 64);
        while (sb.Length < length)
        {
            sb.Append(s_subjects[rng.NextInt(s_subjects.Length)]).Append(' ')
              .Append(s_verbs[rng.NextInt(s_verbs.Length)]).Append(' ')
              .Append(s_objects[rng.NextInt(s_objects.Length)]).Append(".\n");
        }

        return Encoding.ASCII.GetBytes(sb.ToString(0, length));
    }
}
