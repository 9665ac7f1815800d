namespace AutoResearch.TinyGpt;

/// <summary>
/// The byte-level tokenizer: every byte is its own token, so the vocabulary is 256 and the loss in bits
/// per token is the loss in bits per byte.
/// </summary>
public static class ByteTokenizer
{
    /// <summary>Number of distinct tokens (256).</summary>
    public const int VocabSize = 256;

    /// <summary>The token ids of <paramref name="bytes"/>.</summary>
    public static int[] Encode(ReadOnlySpan<byte> bytes)
    {
        var ids = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            ids[i] = bytes[i];
        }

        return ids;
    }

    /// <summary>The bytes of <paramref name="ids"/>, each in [0, 256).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is not a byte.</exception>
    public static byte[] Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new byte[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            bytes[i] = (uint)ids[i] < VocabSize ? (byte)ids[i] : throw new ArgumentOutOfRangeException(nameof(ids), ids[i], "not a byte");
        }

        return bytes;
    }
}
