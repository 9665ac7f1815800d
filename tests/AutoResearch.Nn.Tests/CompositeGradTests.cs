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
        Check([P(V, C), P(C), P(C), P(3 * C, C), P(C, C), P(2 * C, C), P(C, 2 * C), P(C)], Loss);
    }

    [Fact]
    public void Modern_block_backward_matches_finite_differences_on_every_step()
    {
        // RMSNorm without a gain, QK-norm, value embeddings mixed into the values, a SwiGLU MLP, an untied head and
        // soft-capped logits: the choices of the tinygpt template, composed the way it composes them.
        var rng = new Rng(7);
        Tensor P(params int[] shape) => Tensor.Normal(shape, 0.5f, rng, requiresGrad: true);
        Check([P(V, C), P(3 * C, C), P(C, C), P(4 * C, C), P(C, 2 * C), P(V, C), P(V, C)], ModernLoss);
    }

    private static void Check(Tensor[] ps, Func<Graph, Tensor[], Tensor> loss)
    {
        var g = new Graph(seed: 1);
        var first = Gradients(g, ps, loss);
        var second = Gradients(g, ps, loss); // same buffers, reused: fresh ones must be fully overwritten
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
                var up = loss(new Graph(recordGradients: false), ps).Item;
                x.Data[j] = keep - h;
                var down = loss(new Graph(recordGradients: false), ps).Item;
                x.Data[j] = keep;
                numeric[j] = (up - down) / (2 * h);
            }

            Tolerance.Close(numeric, first[i], 2e-2, $"parameter {i}");
        }
    }

    private static float[][] Gradients(Graph g, Tensor[] ps, Func<Graph, Tensor[], Tensor> loss)
    {
        foreach (var p in ps)
        {
            Array.Clear(p.Grad);
        }

        g.Reset();
        g.Backward(loss(g, ps));
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

    private static Tensor ModernLoss(Graph g, Tensor[] p)
    {
        var x = g.Embedding(p[0], Ids);                                        // [B*T, C]
        var h = g.RmsNorm(x);
        var qkv = g.Linear(h, p[1]);                                           // [B*T, 3C]
        var qk = g.Reshape(g.RmsNorm(g.Reshape(g.Slice(qkv, 0, 2 * C), B * T * 4, C / 2)), B * T, 2 * C); // per head
        var v = g.Add(g.Slice(qkv, 2 * C, C), g.Embedding(p[5], Ids));        // value embeddings
        var att = g.CausalSelfAttention(g.Reshape(g.Concat(qk, v), B, T, 3 * C), 2, rotary: true);
        x = g.Add(x, g.Linear(g.Reshape(att, B * T, C), p[2]));
        var gateUp = g.Linear(g.RmsNorm(x), p[3]);                             // [B*T, 4C]: gate, then up
        var swiglu = g.Mul(g.Silu(g.Slice(gateUp, 0, 2 * C)), g.Slice(gateUp, 2 * C, 2 * C));
        x = g.Add(x, g.Linear(swiglu, p[4]));
        var logits = g.Softcap(g.Linear(g.RmsNorm(x), p[6]), 2f);              // untied head, capped
        return g.CrossEntropy(logits, Targets);
    }
}
