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
    public void Softcap_matches_scalar_reference_including_tails(int n)
    {
        var rng = new Rng((ulong)n + 77);
        var x = Tolerance.Random(n, rng, 40);
        var y = new float[n];
        Activations.SoftcapForward(y, x, 15f);
        Tolerance.Close([.. x.Select(v => Activations.SoftcapReference(v, 15f))], y, 1e-5, "softcap");
        Assert.All(y, v => Assert.InRange(v, -15f, 15f));
        var dy = Tolerance.Random(n, rng);
        var dx = Tolerance.Random(n, rng);
        var expected = dx.Select((d, i) => (float)(d + (dy[i] * (1 - Math.Pow(Math.Tanh(x[i] / 15.0), 2))))).ToArray();
        Activations.SoftcapBackward(dx, dy, y, 15f);
        Tolerance.Close(expected, dx, 1e-5, "softcap backward (accumulating)");
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
    [InlineData(2, 19, 64, 2, false)]
    [InlineData(1, 12, 80, 2, true)]
    [InlineData(1, 40, 128, 4, false)]
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

public sealed class ParallelKernelTests
{
    // Large enough to be split over several chunks (and threads), with a ragged row length.
    private const int Rows = 700, C = 131;

    [Fact]
    public void LayerNorm_backward_on_many_chunks_matches_double_reference()
    {
        var rng = new Rng(21);
        var x = Tolerance.Random(Rows * C, rng, 2);
        var w = Tolerance.Random(C, rng);
        var b = Tolerance.Random(C, rng);
        var dy = Tolerance.Random(Rows * C, rng);
        var (mean, rstd) = (new float[Rows], new float[Rows]);
        var y = new float[Rows * C];
        Norms.LayerNormForward(y, mean, rstd, x, w, b, C, 1e-5f);
        var expectedY = new float[Rows * C];
        Norms.LayerNormReference(expectedY, x, w, b, C, 1e-5f);
        Tolerance.Close(expectedY, y, 1e-5, "layernorm forward");

        var (dx, dw, db) = (new float[Rows * C], new float[C], new float[C]);
        Norms.LayerNormBackward(dx, dw, db, dy, x, w, mean, rstd, C);
        var (ex, ew, eb) = (new float[Rows * C], new float[C], new float[C]);
        for (var r = 0; r < Rows; r++)
        {
            double m = 0, v = 0;
            for (var j = 0; j < C; j++)
            {
                m += x[(r * C) + j];
            }

            m /= C;
            for (var j = 0; j < C; j++)
            {
                v += Math.Pow(x[(r * C) + j] - m, 2);
            }

            var s = 1 / Math.Sqrt((v / C) + 1e-5);
            double sg = 0, sgx = 0;
            for (var j = 0; j < C; j++)
            {
                var xhat = (x[(r * C) + j] - m) * s;
                var g = w[j] * dy[(r * C) + j];
                ew[j] += (float)(dy[(r * C) + j] * xhat);
                eb[j] += dy[(r * C) + j];
                sg += g;
                sgx += g * xhat;
            }

            for (var j = 0; j < C; j++)
            {
                var xhat = (x[(r * C) + j] - m) * s;
                ex[(r * C) + j] = (float)(s * ((w[j] * dy[(r * C) + j]) - (sg / C) - (xhat * sgx / C)));
            }
        }

        Tolerance.Close(ex, dx, 1e-4, "layernorm dx");
        Tolerance.Close(ew, dw, 1e-4, "layernorm dw");
        Tolerance.Close(eb, db, 1e-4, "layernorm db");
    }

    [Fact]
    public void Gelu_on_many_chunks_matches_scalar_reference()
    {
        var rng = new Rng(22);
        var x = Tolerance.Random(Rows * C, rng, 3);
        var (y, t) = (new float[x.Length], new float[x.Length]);
        Activations.GeluForward(y, t, x);
        Tolerance.Close(x.Select(Activations.GeluReference).ToArray(), y, 1e-5, "gelu");
        var dy = Tolerance.Random(x.Length, rng);
        var dx = new float[x.Length];
        Activations.GeluBackward(dx, dy, x, t);
        Tolerance.Close(x.Select((v, i) => Activations.GeluGradReference(v) * dy[i]).ToArray(), dx, 1e-5, "gelu backward");
    }

    [Fact]
    public void Cross_entropy_on_many_chunks_matches_double_reference_forward_and_backward()
    {
        var rng = new Rng(23);
        var logits = Tolerance.Random(Rows * C, rng, 4);
        var targets = Enumerable.Range(0, Rows).Select(_ => rng.NextInt(C)).ToArray();
        var lse = new float[Rows];
        var loss = Softmax.CrossEntropyForward(lse, new float[Rows], logits, targets, C);
        Assert.Equal(Softmax.CrossEntropyReference(logits, targets, C), loss, 1e-4);
        var d = new float[logits.Length];
        Softmax.CrossEntropyBackward(d, logits, lse, targets, C, 0.5f);
        var p = new float[logits.Length];
        Softmax.ForwardReference(p, logits, C);
        for (var r = 0; r < Rows; r++)
        {
            p[(r * C) + targets[r]] -= 1;
        }

        Tolerance.Close(p.Select(v => v * 0.5f).ToArray(), d, 1e-5, "cross-entropy backward");
    }
}

public sealed class BulkTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(17, 17)]
    [InlineData(40, 8)]
    [InlineData(99, 33)]
    [InlineData(262_144, 128)]
    [InlineData(100_003, 100_003)]
    public void Add_with_repeated_operand_matches_scalar_reference(int n, int m)
    {
        var rng = new Rng((ulong)(n + m));
        var a = Tolerance.Random(n, rng);
        var b = Tolerance.Random(m, rng);
        var expected = new float[n];
        Bulk.AddReference(expected, a, b);
        Bulk.Add(a, a, b); // in place, as the backward pass uses it
        Tolerance.Close(expected, a, 0, "add");
    }

    [Fact]
    public void Clear_zeroes_every_buffer_across_chunk_boundaries()
    {
        var buffers = new List<float[]> { new float[70_001], new float[3], new float[200_000], new float[1] };
        foreach (var b in buffers)
        {
            b.AsSpan().Fill(1f);
        }

        Bulk.Clear(buffers);
        Assert.All(buffers, b => Assert.All(b, v => Assert.Equal(0f, v)));
    }
}
