namespace AutoResearch.Nn.Tests;

internal static class Tolerance
{
    /// <summary>Asserts that the largest difference, relative to the largest magnitude of the expected values, is within tol.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1e-6, worst = 0;
        var at = -1;
        for (var i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }

        for (var i = 0; i < expected.Length; i++)
        {
            var d = Math.Abs((double)expected[i] - actual[i]);
            if (!(d <= worst))
            {
                worst = d;
                at = i;
            }
        }

        Assert.True(worst / scale <= tol,
            $"{what}: relative error {worst / scale:E2} > {tol:E1} at {at} (expected {(at >= 0 ? expected[at] : 0)}, got {(at >= 0 ? actual[at] : 0)})");
    }

    public static float[] Random(int n, Rng rng, float scale = 1f)
    {
        var a = new float[n];
        for (var i = 0; i < n; i++)
        {
            a[i] = scale * rng.NextGaussian();
        }

        return a;
    }
}
