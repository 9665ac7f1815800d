namespace AutoResearch.Nn.Tests;

/// <summary>
/// A small transformer block end to end: intermediate gradients with one consumer are overwritten rather
/// than cleared and accumulated, so this checks those paths (and a residual with two consumers) against
/// finite differences, and that a second step over reused buffers gives the same gradients.
/// </summary>
public sealed class CompositeGradTests
{
    private const int B = 2, T = 5, C = 8, V = 11;
    private static int[] Ids { get; } = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
    private static int[] Targets { get; } = [1, 4, 1, 5, 9, 2, 6, 5, 3, 5];

    [Fact]
    public void Block_backward_matches_finite_differences_on_every_step()
    {
        var rng = new Rng(99);
        Tensor P(params int[] shape) => Tensor.Normal(shape, 0.5f, rng, requiresGrad: true);
        Tensor[] ps = [P(V, C), P(C), P(C), P(3 * C, C), P(C, C), P(2 * C, C), P(C, 2 * C), P(C)];
        var g = new Graph(seed: 1);

        var first = Gradients(g, ps);
        var second = Gradients(g, ps); // same buffers, reused: fresh ones must be fully overwritten
        for (var i = 0; i < ps.Length; i++)
        {
            Assert.Equal(first[i], second[i]);
        }

        for (var i = 0; i < ps.Length; i++)
        {
            var x = ps[i];
            var numeric = new float[x.Length];
            for (var j = 0; j < x.Length; j++)
            {
                var keep = x.Data[j];
                const float h = 1e-2f;
                x.Data[j] = keep + h;
                var up = Loss(new Graph(recordGradients: false), ps).Item;
                x.Data[j] = keep - h;
                var down = Loss(new Graph(recordGradients: false), ps).Item;
                x.Data[j] = keep;
                numeric[j] = (up - down) / (2 * h);
            }

            Tolerance.Close(numeric, first[i], 2e-2, $"parameter {i}");
        }
    }

    private static float[][] Gradients(Graph g, Tensor[] ps)
    {
        foreach (var p in ps)
        {
            Array.Clear(p.Grad);
        }

        g.Reset();
        g.Backward(Loss(g, ps));
        return [.. ps.Select(p => (float[])p.Grad.Clone())];
    }

    private static Tensor Loss(Graph g, Tensor[] p)
    {
        var x = g.Embedding(p[0], Ids);                                        // [B*T, C]
        var h = g.LayerNorm(x, p[1], p[2]);                                    // x: LayerNorm and Add
        var qkv = g.Linear(h, p[3]);                                           // h: one Linear
        var att = g.CausalSelfAttention(g.Reshape(qkv, B, T, 3 * C), 2, rotary: true);
        var y = g.Linear(g.Reshape(att, B * T, C), p[4]);                      // attention output: one Linear
        var x2 = g.Add(x, y);                                                  // y: one Add (same length)
        var f = g.Gelu(g.Linear(x2, p[5]));                                    // fc output: one GELU
        var z = g.Linear(f, p[6], p[7]);                                       // f: one Linear
        var logits = g.Linear(g.Add(x2, z), p[0]);                             // x2 again: two consumers
        return g.CrossEntropy(logits, Targets);                               // logits: cross-entropy
    }
}
