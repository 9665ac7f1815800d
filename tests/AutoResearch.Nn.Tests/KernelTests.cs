using AutoResearch.Nn.Kernels;

namespace AutoResearch.Nn.Tests;

public sealed class KernelTests
{
    public static TheoryData<int> Lengths()
    {
        var data = new TheoryData<int>();
        for (var n = 0; n <= 40; n++)
        {
            data.Add(n);
        }

        data.Add(255);
        data.Add(256);
        data.Add(1001);
        return data;
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Gelu_matches_scalar_reference_including_tails(int n)
    {
        var rng = new Rng((ulong)n + 1);
        var x = Tolerance.Random(n, rng, 3);
        var y = new float[n];
        var tanh = new float[n];
        Activations.GeluForward(y, tanh, x);
        var expected = x.Select(Activations.GeluReference).ToArray();
        Tolerance.Close(expected, y, 1e-5, "gelu");
        var dy = Tolerance.Random(n, rng);
        var dx = new float[n];
        Activations.GeluBackward(dx, dy, x, tanh);
        var expectedDx = x.Select((v, i) => Activations.GeluGradReference(v) * dy[i]).ToArray();
        Tolerance.Close(expectedDx, dx, 1e-5, "gelu backward");
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Relu_family_and_silu_backward_match_scalar_reference(int n)
    {
        var rng = new Rng((ulong)n + 7);
        var x = Tolerance.Random(n, rng);
        var dy = Tolerance.Random(n, rng);
        var dx = new float[n];
        Activations.ReluBackward(dx, dy, x);
        Tolerance.Close(x.Select((v, i) => v > 0 ? dy[i] : 0f).ToArray(), dx, 0, "relu backward");
        dx = new float[n];
        Activations.ReluSquaredBackward(dx, dy, x);
        Tolerance.Close(x.Select((v, i) => 2 * MathF.Max(v, 0) * dy[i]).ToArray(), dx, 1e-6, "relu² backward");
        dx = new float[n];
        Activations.SiluBackward(dx, dy, x, new float[n]);
        var silu = x.Select((v, i) =>
        {
            var s = 1 / (1 + Math.Exp(-v));
            return (float)(dy[i] * s * (1 + (v * (1 - s))));
        }).ToArray();
        Tolerance.Close(silu, dx, 1e-5, "silu backward");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(5, 8)]
    [InlineData(4, 33)]
    [InlineData(2, 128)]
    [InlineData(3, 257)]
    public void Norms_match_double_reference(int rows, int c)
    {
        var rng = new Rng((ulong)(rows * c));
        var x = Tolerance.Random(rows * c, rng, 2);
        var w = Tolerance.Random(c, rng);
        var b = Tolerance.Random(c, rng);
        var y = new float[rows * c];
        var expected = new float[rows * c];
        Norms.LayerNormForward(y, new float[rows], new float[rows], x, w, b, c, 1e-5f);
        Norms.LayerNormReference(expected, x, w, b, c, 1e-5f);
        Tolerance.Close(expected, y, 1e-5, "layernorm");
        Norms.RmsNormForward(y, new float[rows], x, w, c, 1e-6f);
        Norms.RmsNormReference(expected, x, w, c, 1e-6f);
        Tolerance.Close(expected, y, 1e-5, "rmsnorm");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 7)]
    [InlineData(3, 256)]
    [InlineData(2, 1000)]
    public void Softmax_and_cross_entropy_match_double_reference(int rows, int v)
    {
        var rng = new Rng((ulong)(rows + v));
        var x = Tolerance.Random(rows * v, rng, 5);
        x[0] = 80; // large logits must not overflow: the row max is subtracted first
        var y = new float[rows * v];
        var expected = new float[rows * v];
        Softmax.Forward(y, x, v);
        Softmax.ForwardReference(expected, x, v);
        Tolerance.Close(expected, y, 1e-5, "softmax");
        var targets = Enumerable.Range(0, rows).Select(i => rng.NextInt(v)).ToArray();
        var loss = Softmax.CrossEntropyForward(new float[rows], new float[rows], x, targets, v);
        Assert.Equal(Softmax.CrossEntropyReference(x, targets, v), loss, 1e-4);
    }

    [Theory]
    [InlineData(1, 1, 8, 1, false)]
    [InlineData(2, 5, 16, 2, false)]
    [InlineData(1, 9, 12, 3, true)]
    [InlineData(2, 17, 32, 2, true)]
    [InlineData(1, 33, 64, 4, false)]
    [InlineData(2, 20, 24, 1, true)]
    public void Attention_matches_masked_full_reference(int b, int t, int c, int h, bool rotary)
    {
        var rng = new Rng((ulong)(b * 1000 + t * 10 + c));
        var qkv = Tolerance.Random(b * t * 3 * c, rng);
        var d = c / h;
        var cos = rotary ? new float[t * d / 2] : [];
        var sin = rotary ? new float[t * d / 2] : [];
        if (rotary)
        {
            Rotary.Tables(cos, sin, t, d);
        }

        var y = new float[b * t * c];
        var expected = new float[b * t * c];
        var probs = new float[b * h * t * t];
        Attention.Forward(y, probs, qkv, b, t, c, h, cos, sin);
        Attention.ForwardReference(expected, qkv, b, t, c, h, cos, sin);
        Tolerance.Close(expected, y, 1e-5, "attention");
    }

    [Fact]
    public void Rotary_inverse_undoes_rotation()
    {
        const int t = 5, d = 8;
        var cos = new float[t * d / 2];
        var sin = new float[t * d / 2];
        Rotary.Tables(cos, sin, t, d);
        var x = Tolerance.Random(d, new Rng(1));
        var y = new float[d];
        var back = new float[d];
        Rotary.Rotate(y, x, cos, sin, 3, inverse: false);
        Rotary.Rotate(back, y, cos, sin, 3, inverse: true);
        Assert.NotEqual(x, y);
        Tolerance.Close(x, back, 1e-6, "rotary round trip");
    }
}
