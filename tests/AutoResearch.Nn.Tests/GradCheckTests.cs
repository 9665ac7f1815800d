namespace AutoResearch.Nn.Tests;

/// <summary>Every op's backward pass against central finite differences of its forward pass.</summary>
public sealed class GradCheckTests
{
    private static int[] Ids { get; } = [3, 0, 5, 3, 1, 6];

    public static TheoryData<string> Ops() =>
    [
        "linear", "linear_nobias", "matmul", "matmul_shared", "add", "add_broadcast", "mul", "mul_broadcast", "scale",
        "embedding", "layernorm", "layernorm_nobias", "rmsnorm", "rmsnorm_noweight", "gelu", "relu", "relu2", "silu",
        "softcap", "concat", "softmax", "attention", "attention_rotary", "attention_wide", "attention_wide_rotary", "rotary", "cross_entropy", "dropout", "slice", "sum", "mean", "reshape",
    ];

    [Theory]
    [MemberData(nameof(Ops))]
    public void Backward_matches_finite_differences(string op)
    {
        var rng = new Rng((ulong)op.Sum(ch => ch * 31));
        var inputs = Inputs(op, rng);
        if (op.StartsWith("relu", StringComparison.Ordinal))
        {
            // Finite differences are meaningless across the kink at 0.
            foreach (var x in inputs)
            {
                for (var i = 0; i < x.Length; i++)
                {
                    x.Data[i] += x.Data[i] >= 0 ? 0.1f : -0.1f;
                }
            }
        }

        var weights = Tolerance.Random(OutputLength(op, inputs), rng);

        // Analytic: loss = sum(f(inputs) * weights).
        var g = new Graph(seed: 11);
        g.Reset();
        var loss = Loss(g, op, inputs, weights);
        g.Backward(loss);

        foreach (var x in inputs)
        {
            var numeric = new float[x.Length];
            for (var i = 0; i < x.Length; i++)
            {
                var keep = x.Data[i];
                const float h = 1e-2f;
                x.Data[i] = keep + h;
                var up = Evaluate(op, inputs, weights);
                x.Data[i] = keep - h;
                var down = Evaluate(op, inputs, weights);
                x.Data[i] = keep;
                numeric[i] = (float)((up - down) / (2 * h));
            }

            Tolerance.Close(numeric, x.Grad, 2e-2, $"{op} d/d{x.Name}");
        }
    }

    private static double Evaluate(string op, Tensor[] inputs, float[] weights)
    {
        // A training graph with the same seed and step, so that dropout draws the same mask.
        var g = new Graph(seed: 11);
        g.Reset();
        return Loss(g, op, inputs, weights).Item;
    }

    private static Tensor Loss(Graph g, string op, Tensor[] x, float[] weights)
    {
        var y = Apply(g, op, x);
        if (op is "cross_entropy" or "sum" or "mean")
        {
            return y;
        }

        var w = Tensor.FromArray(weights, y.Shape);
        return g.Sum(g.Mul(y, w));
    }

    private static int OutputLength(string op, Tensor[] x) => Apply(new Graph(recordGradients: false), op, x).Length;

    private static Tensor Apply(Graph g, string op, Tensor[] x) => op switch
    {
        "linear" => g.Linear(x[0], x[1], x[2]),
        "linear_nobias" => g.Linear(x[0], x[1]),
        "matmul" or "matmul_shared" => g.MatMul(x[0], x[1]),
        "add" or "add_broadcast" => g.Add(x[0], x[1]),
        "mul" or "mul_broadcast" => g.Mul(x[0], x[1]),
        "scale" => g.Scale(x[0], -1.5f),
        "embedding" => g.Embedding(x[0], Ids),
        "layernorm" => g.LayerNorm(x[0], x[1], x[2]),
        "layernorm_nobias" => g.LayerNorm(x[0], x[1]),
        "rmsnorm" => g.RmsNorm(x[0], x[1]),
        "rmsnorm_noweight" => g.RmsNorm(x[0]),
        "gelu" => g.Gelu(x[0]),
        "relu" => g.Relu(x[0]),
        "relu2" => g.ReluSquared(x[0]),
        "silu" => g.Silu(x[0]),
        "softmax" => g.Softmax(x[0]),
        "softcap" => g.Softcap(x[0], 1.5f),
        "concat" => g.Concat(x[0], x[1]),
        "attention" => g.CausalSelfAttention(x[0], 2),
        "attention_rotary" => g.CausalSelfAttention(x[0], 2, rotary: true),
        "attention_wide" => g.CausalSelfAttention(x[0], 2),
        "attention_wide_rotary" => g.CausalSelfAttention(x[0], 2, rotary: true),
        "rotary" => g.Rotary(x[0], 2),
        "cross_entropy" => g.CrossEntropy(x[0], [2, 0, 4, 4, 1]),
        "dropout" => g.Dropout(x[0], 0.3f),
        "slice" => g.Slice(x[0], 2, 3),
        "sum" => g.Sum(x[0]),
        "mean" => g.Mean(x[0]),
        "reshape" => g.Gelu(g.Reshape(x[0], 4, 3, 2)),
        _ => throw new ArgumentException(op),
    };

    private static Tensor[] Inputs(string op, Rng rng)
    {
        Tensor P(string name, params int[] shape)
        {
            var t = Tensor.Normal(shape, 1f, rng, requiresGrad: true);
            t.Name = name;
            return t;
        }

        return op switch
        {
            "linear" => [P("x", 2, 3, 5), P("w", 7, 5), P("b", 7)],
            "linear_nobias" => [P("x", 4, 5), P("w", 3, 5)],
            "matmul" => [P("a", 2, 3, 4), P("b", 2, 4, 5)],
            "matmul_shared" => [P("a", 2, 3, 4), P("b", 4, 5)],
            "add" or "mul" => [P("a", 3, 4), P("b", 3, 4)],
            "add_broadcast" or "mul_broadcast" => [P("a", 2, 3, 4), P("b", 3, 4)],
            "embedding" => [P("table", 7, 4)],
            "layernorm" => [P("x", 3, 6), P("w", 6), P("b", 6)],
            "layernorm_nobias" or "rmsnorm" => [P("x", 3, 6), P("w", 6)],
            "attention" or "attention_rotary" => [P("qkv", 2, 5, 24)],
            "attention_wide" or "attention_wide_rotary" => [P("qkv", 1, 7, 240)], // head size 40: the 32-wide path and its tail
            "rotary" => [P("x", 2, 5, 8)],
            "cross_entropy" => [P("logits", 5, 6)],
            "slice" => [P("x", 3, 7)],
            "concat" => [P("a", 2, 3, 4), P("b", 2, 3, 5)],
            _ => [P("x", 4, 6)],
        };
    }
}
