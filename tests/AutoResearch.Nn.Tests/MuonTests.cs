using AutoResearch.Nn.Kernels;

namespace AutoResearch.Nn.Tests;

public sealed class MuonTests
{
    public static TheoryData<int, int> Shapes() => new()
    {
        { 1, 1 }, { 3, 5 }, { 5, 3 }, { 7, 7 }, { 17, 40 }, { 40, 17 }, { 33, 96 }, { 128, 384 }, { 512, 128 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Newton_schulz_matches_the_double_precision_reference(int rows, int cols)
    {
        var rng = new Rng((ulong)((rows * 1000) + cols));
        var g = Tolerance.Random(rows * cols, rng);
        var y = new float[rows * cols];
        NewtonSchulz.Orthogonalize(g, y, rows, cols, 5, new float[NewtonSchulz.ScratchLength(rows, cols)]);
        Tolerance.Close(NewtonSchulz.OrthogonalizeReference(g, rows, cols, 5), y, 2e-4, $"Newton-Schulz [{rows}, {cols}]");
    }

    [Theory]
    [InlineData(48, 48)]
    [InlineData(24, 64)]
    [InlineData(64, 24)]
    public void Newton_schulz_pushes_every_singular_value_towards_one_and_keeps_the_singular_vectors(int rows, int cols)
    {
        // G = U diag(s) V^T with singular values spread over more than an order of magnitude (0.05 to 1). The exact
        // answer is U V^T; Muon's quintic gives U f(s) V^T with every f(s) in roughly [0.7, 1.2]. So U^T Y V must be
        // diagonal with such entries: the singular vectors kept, the values pushed together.
        var rng = new Rng(5);
        var r = Math.Min(rows, cols);
        var u = Orthonormal(rows, r, rng);
        var v = Orthonormal(cols, r, rng);
        var s = Enumerable.Range(0, r).Select(i => Math.Pow(0.05, (double)i / (r - 1))).ToArray();
        var g = new float[rows * cols];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                double sum = 0;
                for (var k = 0; k < r; k++)
                {
                    sum += u[i, k] * s[k] * v[j, k];
                }

                g[(i * cols) + j] = (float)sum;
            }
        }

        var y = new float[rows * cols];
        NewtonSchulz.Orthogonalize(g, y, rows, cols, 5, new float[NewtonSchulz.ScratchLength(rows, cols)]);
        for (var a = 0; a < r; a++)
        {
            for (var b = 0; b < r; b++)
            {
                double d = 0;
                for (var i = 0; i < rows; i++)
                {
                    for (var j = 0; j < cols; j++)
                    {
                        d += u[i, a] * y[(i * cols) + j] * v[j, b];
                    }
                }

                if (a == b)
                {
                    Assert.InRange(d, 0.6, 1.3);
                }
                else
                {
                    Assert.InRange(d, -2e-3, 2e-3);
                }
            }
        }
    }

    // n x k with orthonormal columns: Gram-Schmidt (twice, for stability) over Gaussian columns.
    private static double[,] Orthonormal(int n, int k, Rng rng)
    {
        var q = new double[n, k];
        for (var c = 0; c < k; c++)
        {
            for (var i = 0; i < n; i++)
            {
                q[i, c] = rng.NextGaussian();
            }

            for (var pass = 0; pass < 2; pass++)
            {
                for (var p = 0; p < c; p++)
                {
                    double dot = 0;
                    for (var i = 0; i < n; i++)
                    {
                        dot += q[i, c] * q[i, p];
                    }

                    for (var i = 0; i < n; i++)
                    {
                        q[i, c] -= dot * q[i, p];
                    }
                }
            }

            double norm = 0;
            for (var i = 0; i < n; i++)
            {
                norm += q[i, c] * q[i, c];
            }

            norm = Math.Sqrt(norm);
            for (var i = 0; i < n; i++)
            {
                q[i, c] /= norm;
            }
        }

        return q;
    }

    [Fact]
    public void Step_follows_the_muon_update_over_several_steps()
    {
        const int R = 6, C = 10;
        const float Lr = 0.02f, Mu = 0.9f, Wd = 0.1f;
        var rng = new Rng(3);
        var w = Tensor.Normal([R, C], 1f, rng, requiresGrad: true);
        var expected = (float[])w.Data.Clone();
        var momentum = new double[R * C];
        var muon = new Muon([w], momentum: Mu, weightDecay: Wd);
        for (var step = 0; step < 3; step++)
        {
            var grad = Tolerance.Random(R * C, rng);
            grad.CopyTo(w.Grad, 0);
            muon.Step(Lr);

            var update = new float[R * C];
            for (var i = 0; i < update.Length; i++)
            {
                momentum[i] = (Mu * momentum[i]) + ((1 - Mu) * grad[i]);
                update[i] = (float)(((1 - Mu) * grad[i]) + (Mu * momentum[i]));
            }

            var o = NewtonSchulz.OrthogonalizeReference(update, R, C, 5);
            for (var i = 0; i < expected.Length; i++)
            {
                expected[i] = (expected[i] * (1 - (Lr * Wd))) - (Lr * o[i]); // wide: no shape factor
            }

            Tolerance.Close(expected, w.Data, 1e-4, $"weights after step {step + 1}");
        }

        Assert.Equal(3, muon.StepCount);
    }

    [Fact]
    public void A_tall_matrix_steps_further_by_the_root_of_its_aspect_ratio()
    {
        var rng = new Rng(4);
        var (tall, wide) = (Tensor.Zeros([40, 10], requiresGrad: true), Tensor.Zeros([10, 40], requiresGrad: true));
        var grad = Tolerance.Random(400, rng);
        grad.CopyTo(tall.Grad, 0);
        for (var i = 0; i < 40; i++)
        {
            for (var j = 0; j < 10; j++)
            {
                wide.Grad[(j * 40) + i] = grad[(i * 10) + j]; // the transpose
            }
        }

        new Muon([tall, wide], nesterov: false).Step(0.1f);
        for (var i = 0; i < 40; i++)
        {
            for (var j = 0; j < 10; j++)
            {
                Assert.Equal(2 * wide.Data[(j * 40) + i], tall.Data[(i * 10) + j], 1e-5f);
            }
        }
    }

    [Fact]
    public void Refuses_vectors_and_tensors_without_gradients()
    {
        Assert.Throws<ArgumentException>(() => new Muon([Tensor.Zeros([5], requiresGrad: true)]));
        Assert.Throws<ArgumentException>(() => new Muon([Tensor.Zeros([5, 5])]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Muon([], momentum: 1f));
    }

    [Fact]
    public void Muon_and_grouped_adamw_steps_allocate_nothing_after_warm_up()
    {
        var rng = new Rng(8);
        var matrices = new[] { Tensor.Normal([384, 128], 0.1f, rng, requiresGrad: true), Tensor.Normal([128, 512], 0.1f, rng, requiresGrad: true) };
        var (embedding, gain) = (Tensor.Normal([256, 128], 0.1f, rng, requiresGrad: true), Tensor.Full([128], 1f, requiresGrad: true));
        var muon = new Muon(matrices, weightDecay: 0.01f);
        var adam = new AdamW([new ParameterGroup([embedding], 0.1f, 0.5f), new ParameterGroup([gain])]);
        void Step()
        {
            foreach (var p in matrices.Append(embedding).Append(gain))
            {
                Tolerance.Random(p.Length, rng).CopyTo(p.Grad, 0);
            }

            muon.Step(0.02f);
            adam.Step(1e-3f);
        }

        for (var i = 0; i < 3; i++)
        {
            Step();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        muon.Step(0.02f);
        adam.Step(1e-3f);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Adamw_groups_decay_and_scale_each_group_on_its_own()
    {
        var (a, b) = (Tensor.FromArray([2f], [1], requiresGrad: true), Tensor.FromArray([2f], [1], requiresGrad: true));
        a.Grad[0] = 1f;
        b.Grad[0] = 1f;
        new AdamW([new ParameterGroup([a], WeightDecay: 0.5f), new ParameterGroup([b], LearningRateScale: 0.25f)]).Step(0.1f);
        Assert.Equal((2f * (1 - 0.05f)) - 0.1f, a.Data[0], 1e-5f); // decayed, full step
        Assert.Equal(2f - 0.025f, b.Data[0], 1e-5f);                // not decayed, a quarter step
        Assert.Throws<ArgumentException>(() => new AdamW([new ParameterGroup([a]), new ParameterGroup([a])]));
    }
}
