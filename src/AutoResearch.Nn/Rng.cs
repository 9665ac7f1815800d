namespace AutoResearch.Nn;

/// <summary>
/// A small, seeded, platform-independent random number generator (xoshiro128** seeded by SplitMix64),
/// so that the same seed gives the same numbers on every machine and .NET version.
/// </summary>
public sealed class Rng
{
    private uint _s0, _s1, _s2, _s3;
    private float _spare;
    private bool _hasSpare;

    /// <summary>Creates a generator from a 64-bit seed.</summary>
    public Rng(ulong seed)
    {
        var x = seed;
        _s0 = (uint)SplitMix(ref x);
        _s1 = (uint)SplitMix(ref x);
        _s2 = (uint)SplitMix(ref x);
        _s3 = (uint)SplitMix(ref x);
    }

    /// <summary>The next 32 random bits.</summary>
    public uint NextUInt()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 9;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 11);
        return result;
    }

    /// <summary>A uniform integer in [0, <paramref name="maxExclusive"/>).</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        return (int)((ulong)NextUInt() * (ulong)maxExclusive >> 32);
    }

    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt() >> 8) * (1f / (1 << 24));

    /// <summary>A standard normal sample (Box-Muller, computed in double for portability).</summary>
    public float NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        double u1 = ((NextUInt() >> 8) + 1) * (1.0 / ((1 << 24) + 1));
        double u2 = (NextUInt() >> 8) * (1.0 / (1 << 24));
        var r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = (float)(r * Math.Sin(2 * Math.PI * u2));
        _hasSpare = true;
        return (float)(r * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>A stateless hash of (seed, stream, index) to 32 random bits; used for dropout masks.</summary>
    public static uint Hash(ulong seed, ulong stream, ulong index)
    {
        var x = seed ^ (stream * 0x9E3779B97F4A7C15UL) ^ (index * 0xD1B54A32D192ED03UL);
        return (uint)(SplitMix(ref x) >> 32);
    }

    private static uint RotateLeft(uint x, int k) => (x << k) | (x >> (32 - k));

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
