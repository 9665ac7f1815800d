namespace AutoResearch.Nn.Tests;

public sealed class GraphTests
{
    [Fact]
    public void Second_step_reuses_the_same_buffers()
    {
        var rng = new Rng(1);
        var w = Tensor.Normal([8, 4], 0.1f, rng, requiresGrad: true);
        var x = Tensor.Normal([3, 4], 1f, rng);
        var g = new Graph();
        g.Reset();
        var first = g.Gelu(g.Linear(x, w));
        g.Reset();
        var second = g.Gelu(g.Linear(x, w));
        Assert.Same(first, second);
    }

    [Fact]
    public void Training_step_allocates_nothing_after_warm_up()
    {
        // Big enough that the parallel paths (worker pool, chunked kernels) run too.
        const int B = 4, T = 64, C = 128;
        var rng = new Rng(2);
        var wqkv = Tensor.Normal([3 * C, C], 0.1f, rng, requiresGrad: true);
        var wout = Tensor.Normal([256, C], 0.1f, rng, requiresGrad: true);
        var ln = Tensor.Full([C], 1f, requiresGrad: true);
        var x = Tensor.Normal([B * T, C], 1f, rng);
        var targets = Enumerable.Range(0, B * T).Select(i => i % 256).ToArray();
        var parameters = new List<Tensor> { wqkv, wout, ln };
        var opt = new AdamW(parameters);
        var g = new Graph();
        void Step()
        {
            g.Reset();
            var h = g.LayerNorm(x, ln);
            var qkv = g.Reshape(g.Linear(h, wqkv), B, T, 3 * C);
            var y = g.Reshape(g.CausalSelfAttention(qkv, 4, rotary: true), B * T, C);
            var logits = g.Linear(g.Gelu(g.Add(y, h)), wout);
            var loss = g.CrossEntropy(logits, targets);
            opt.ZeroGrad();
            g.Backward(loss);
            Gradients.ClipNorm(parameters, 1.0);
            opt.Step(1e-3f);
        }

        for (var i = 0; i < 20; i++)
        {
            Step();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        var after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(0, after - before);
    }

    [Fact]
    public void Modern_training_step_with_muon_allocates_nothing_after_warm_up()
    {
        // The template's choices switched on: RMSNorm, QK-norm and value embeddings (Slice, Reshape, Concat), SwiGLU,
        // an untied soft-capped head, Muon for the matrices and grouped AdamW for the rest.
        const int B = 4, T = 64, C = 128, V = 256;
        var rng = new Rng(3);
        var (wte, head, ve) = (Tensor.Normal([V, C], 0.1f, rng, requiresGrad: true), Tensor.Normal([V, C], 0.1f, rng, requiresGrad: true), Tensor.Normal([V, C], 0.1f, rng, requiresGrad: true));
        var (wqkv, wup, wdown, gain) = (Tensor.Normal([3 * C, C], 0.1f, rng, requiresGrad: true), Tensor.Normal([4 * C, C], 0.1f, rng, requiresGrad: true),
            Tensor.Normal([C, 2 * C], 0.1f, rng, requiresGrad: true), Tensor.Full([C], 1f, requiresGrad: true));
        var ids = Enumerable.Range(0, B * T).Select(i => (i * 7) % V).ToArray();
        var targets = Enumerable.Range(0, B * T).Select(i => (i * 11) % V).ToArray();
        var muon = new Muon([wqkv, wup, wdown]);
        var adamw = new AdamW([new ParameterGroup([wte, head], 0.1f), new ParameterGroup([ve]), new ParameterGroup([gain])]);
        var g = new Graph();
        void Step()
        {
            g.Reset();
            var x = g.Embedding(wte, ids);
            var qkv = g.Linear(g.RmsNorm(x, gain), wqkv);
            var qk = g.Reshape(g.RmsNorm(g.Reshape(g.Slice(qkv, 0, 2 * C), B * T * 8, C / 4)), B * T, 2 * C);
            var v = g.Add(g.Slice(qkv, 2 * C, C), g.Embedding(ve, ids));
            x = g.Add(x, g.Reshape(g.CausalSelfAttention(g.Reshape(g.Concat(qk, v), B, T, 3 * C), 4), B * T, C));
            var up = g.Linear(g.RmsNorm(x), wup);
            x = g.Add(x, g.Linear(g.Mul(g.Silu(g.Slice(up, 0, 2 * C)), g.Slice(up, 2 * C, 2 * C)), wdown));
            var loss = g.CrossEntropy(g.Softcap(g.Linear(x, head), 15f), targets);
            adamw.ZeroGrad();
            muon.ZeroGrad();
            g.Backward(loss);
            adamw.Step(1e-3f);
            muon.Step(0.02f);
        }

        for (var i = 0; i < 20; i++)
        {
            Step();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Evaluation_graph_records_nothing_and_backward_refuses()
    {
        var g = new Graph(recordGradients: false);
        var w = Tensor.Full([2, 2], 1f, requiresGrad: true);
        var loss = g.Sum(g.Linear(Tensor.Full([1, 2], 1f), w));
        Assert.False(loss.RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => g.Backward(loss));
    }

    [Fact]
    public void Dropout_is_identity_in_evaluation_and_zeroes_about_p_in_training()
    {
        var x = Tensor.Full([100, 100], 1f, requiresGrad: true);
        Assert.Same(x, new Graph(recordGradients: false).Dropout(x, 0.25f));
        var g = new Graph(seed: 5);
        g.Reset();
        var y = g.Dropout(x, 0.25f);
        var zeros = y.Data.Count(v => v == 0);
        Assert.InRange(zeros, 2300, 2700);
        Assert.All(y.Data.Where(v => v != 0), v => Assert.Equal(1f / 0.75f, v, 1e-6f));
    }

    [Fact]
    public void AdamW_first_step_moves_each_weight_by_lr_against_its_gradient_sign()
    {
        var p = Tensor.FromArray([1f, -2f, 3f], [3], requiresGrad: true);
        p.Grad[0] = 0.5f;
        p.Grad[1] = -4f;
        p.Grad[2] = 0f;
        var opt = new AdamW([p], weightDecay: 0.1f, decays: _ => true);
        opt.Step(0.01f);
        Assert.Equal(1f * (1 - 0.001f) - 0.01f, p.Data[0], 1e-5f);
        Assert.Equal(-2f * (1 - 0.001f) + 0.01f, p.Data[1], 1e-5f);
        Assert.Equal(3f * (1 - 0.001f), p.Data[2], 1e-5f);
    }

    [Fact]
    public void ClipNorm_scales_gradients_down_to_the_limit_and_reports_the_old_norm()
    {
        var p = Tensor.Zeros([2], requiresGrad: true);
        p.Grad[0] = 3;
        p.Grad[1] = 4;
        var norm = Gradients.ClipNorm([p], 1.0);
        Assert.Equal(5.0, norm, 1e-6);
        Assert.Equal(1.0, Gradients.Norm([p]), 1e-5);
    }

    [Fact]
    public void Schedules_start_peak_and_end_where_configured()
    {
        Assert.Equal(0f, LrSchedule.Cosine(0, warmup: 0.1));
        Assert.Equal(1f, LrSchedule.Cosine(0.1, warmup: 0.1), 1e-6f);
        Assert.Equal(0.1f, LrSchedule.Cosine(1, finalRatio: 0.1), 1e-6f);
        Assert.Equal(1f, LrSchedule.WarmupStableDecay(0.5, cooldown: 0.2));
        Assert.Equal(0f, LrSchedule.WarmupStableDecay(1, cooldown: 0.2), 1e-6f);
        Assert.Equal(0.5f, LrSchedule.Warmup(0.05, 0.1), 1e-6f);
    }
}
