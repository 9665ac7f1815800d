namespace AutoResearch.Nn.Kernels;

/// <summary>
/// Rotary position embeddings (RoPE, the half-split form of GPT-NeoX and Llama). For a head vector
/// <c>x[0..D)</c> at position t and i &lt; D/2, with <c>f_i = theta^(-2i/D)</c>:
/// <c>y[i] = x[i] cos(t f_i) - x[i+D/2] sin(t f_i)</c>, <c>y[i+D/2] = x[i] sin(t f_i) + x[i+D/2] cos(t f_i)</c>.
/// Tables: <c>cos, sin [T, D/2]</c>.
/// </summary>
internal static class Rotary
{
    /// <summary>The base of the rotary frequencies.</summary>
    public const double Theta = 10000.0;

    /// <summary>Fills the <c>cos</c> and <c>sin</c> tables for positions 0..T-1 and head size D (even).</summary>
    public static void Tables(Span<float> cos, Span<float> sin, int t, int d)
    {
        if (d % 2 != 0)
        {
            throw new ArgumentException($"rotary embeddings need an even head size, got {d}", nameof(d));
        }

        var half = d / 2;
        for (var p = 0; p < t; p++)
        {
            for (var i = 0; i < half; i++)
            {
                var angle = p * Math.Pow(Theta, -2.0 * i / d);
                cos[p * half + i] = (float)Math.Cos(angle);
                sin[p * half + i] = (float)Math.Sin(angle);
            }
        }
    }

    /// <summary>Rotates one head vector at position <paramref name="pos"/>; <paramref name="inverse"/> rotates back (the backward pass).</summary>
    public static void Rotate(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin, int pos, bool inverse)
    {
        var half = x.Length / 2;
        var c = cos.Slice(pos * half, half);
        var s = sin.Slice(pos * half, half);
        for (var i = 0; i < half; i++)
        {
            var x1 = x[i];
            var x2 = x[i + half];
            var si = inverse ? -s[i] : s[i];
            y[i] = (x1 * c[i]) - (x2 * si);
            y[i + half] = (x1 * si) + (x2 * c[i]);
        }
    }
}
