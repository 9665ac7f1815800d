// train.cs: the editable half of the tiny GPT workload (like karpathy/autoresearch's train.py).
// A GPT-2 style model learning bytes of text, trained for a fixed budget; lower val_bpb is better.
// Everything here may change: the model, the optimizer, the schedule, the constants. The fixed half
// (AutoResearch.TinyGpt) owns the data, the budget, the scoring and the summary; AutoResearch.Nn
// provides tensors, autograd ops and optimizers. Run: dotnet run train.cs
using AutoResearch.Nn;
using AutoResearch.TinyGpt;

// ---- model ----
const int N_LAYER = 4;              // transformer blocks
const int N_HEAD = 4;               // attention heads per block
const int N_EMBD = 128;             // width of the residual stream (channels)
const int MLP_RATIO = 4;            // hidden width of the MLP, in multiples of N_EMBD
const int BLOCK_SIZE = 128;         // context length (tokens = bytes)
const bool ROTARY = false;          // rotary position embeddings in attention (true) or learned positions (false)
const float DROPOUT = 0.0f;         // dropout probability on residual branches
const float INIT_STD = 0.02f;       // standard deviation of the initial weights

// ---- optimisation ----
const int BATCH_SIZE = 16;          // sequences per step (tokens per step = BATCH_SIZE * BLOCK_SIZE)
const float LEARNING_RATE = 1e-3f;  // peak AdamW learning rate
const float BETA1 = 0.9f;           // AdamW first-moment decay
const float BETA2 = 0.95f;          // AdamW second-moment decay
const float WEIGHT_DECAY = 0.0f;    // decoupled weight decay on matrices
const double WARMUP = 0.0;          // linear warm-up, as a fraction of the budget
const double FINAL_LR_RATIO = 1.0;  // learning rate at the end of the cosine decay, as a fraction of the peak (1 = constant)
const double GRAD_CLIP = 1.0;       // maximum global gradient L2 norm (0 = no clipping)

var run = TrainingRun.Start(args);
var config = new GptConfig(run.VocabSize, BLOCK_SIZE, N_LAYER, N_HEAD, N_EMBD, MLP_RATIO, ROTARY, DROPOUT, INIT_STD);
var model = new Gpt(config, new Rng(run.Seed));
var optimizer = new AdamW(model.Parameters, BETA1, BETA2, weightDecay: WEIGHT_DECAY);
var loader = run.Loader(BATCH_SIZE, BLOCK_SIZE);
var graph = new Graph(seed: run.Seed);

while (!run.Budget.Done)
{
    loader.Next();
    graph.Reset();
    var logits = model.Forward(graph, loader.Inputs, BATCH_SIZE, BLOCK_SIZE);
    var loss = graph.CrossEntropy(logits, loader.Targets);
    optimizer.ZeroGrad();
    graph.Backward(loss);
    if (GRAD_CLIP > 0)
    {
        Gradients.ClipNorm(model.Parameters, GRAD_CLIP);
    }

    optimizer.Step(LEARNING_RATE * LrSchedule.Cosine(run.Budget.Fraction, WARMUP, FINAL_LR_RATIO));
    run.Step(loss.Item, loader.TokensPerBatch);
}

return run.Finish(model.Forward, BLOCK_SIZE, model.Parameters);

/// <summary>The shape of the model (nanoGPT's GPTConfig).</summary>
sealed record GptConfig(int Vocab, int BlockSize, int Layers, int Heads, int Embd, int MlpRatio, bool Rotary, float Dropout, float InitStd);

/// <summary>A GPT-2 style decoder: token (+ position) embeddings, pre-norm blocks, tied output head.</summary>
sealed class Gpt
{
    private readonly GptConfig _c;
    private readonly Tensor _wte, _wpe, _lnFW, _lnFB;
    private readonly Block[] _blocks;
    private readonly Dictionary<int, int[]> _positions = [];

    public Gpt(GptConfig c, Rng rng)
    {
        _c = c;
        _wte = Tensor.Normal([c.Vocab, c.Embd], c.InitStd, rng, requiresGrad: true);
        _wpe = Tensor.Normal([c.BlockSize, c.Embd], c.InitStd, rng, requiresGrad: true);
        _blocks = [.. Enumerable.Range(0, c.Layers).Select(_ => new Block(c, rng))];
        _lnFW = Tensor.Full([c.Embd], 1f, requiresGrad: true);
        _lnFB = Tensor.Zeros([c.Embd], requiresGrad: true);
        Parameters = [_wte, .. c.Rotary ? Array.Empty<Tensor>() : [_wpe], .. _blocks.SelectMany(b => b.Parameters), _lnFW, _lnFB];
    }

    public List<Tensor> Parameters { get; }

    /// <summary>Logits [B*T, vocab] for tokens [B, T].</summary>
    public Tensor Forward(Graph g, int[] tokens, int batch, int time)
    {
        var x = g.Embedding(_wte, tokens);                                      // [B*T, C]
        if (!_c.Rotary)
        {
            x = g.Add(x, g.Embedding(_wpe, Positions(time)));                   // + [T, C], repeated over B
        }

        x = g.Dropout(x, _c.Dropout);
        foreach (var block in _blocks)
        {
            x = block.Forward(g, x, batch, time);
        }

        x = g.LayerNorm(x, _lnFW, _lnFB);
        return g.Linear(x, _wte);                                               // tied head: [B*T, vocab]
    }

    private int[] Positions(int time)
    {
        if (!_positions.TryGetValue(time, out var p))
        {
            _positions[time] = p = [.. Enumerable.Range(0, time)];
        }

        return p;
    }
}

/// <summary>Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x)).</summary>
sealed class Block
{
    private readonly GptConfig _c;
    private readonly Tensor _ln1W, _ln1B, _attnW, _attnB, _projW, _projB, _ln2W, _ln2B, _fcW, _fcB, _fc2W, _fc2B;

    public Block(GptConfig c, Rng rng)
    {
        _c = c;
        var (e, h, std) = (c.Embd, c.MlpRatio * c.Embd, c.InitStd);
        var projStd = std / MathF.Sqrt(2 * c.Layers);                          // GPT-2: scale residual projections
        _ln1W = Tensor.Full([e], 1f, requiresGrad: true);
        _ln1B = Tensor.Zeros([e], requiresGrad: true);
        _attnW = Tensor.Normal([3 * e, e], std, rng, requiresGrad: true);
        _attnB = Tensor.Zeros([3 * e], requiresGrad: true);
        _projW = Tensor.Normal([e, e], projStd, rng, requiresGrad: true);
        _projB = Tensor.Zeros([e], requiresGrad: true);
        _ln2W = Tensor.Full([e], 1f, requiresGrad: true);
        _ln2B = Tensor.Zeros([e], requiresGrad: true);
        _fcW = Tensor.Normal([h, e], std, rng, requiresGrad: true);
        _fcB = Tensor.Zeros([h], requiresGrad: true);
        _fc2W = Tensor.Normal([e, h], projStd, rng, requiresGrad: true);
        _fc2B = Tensor.Zeros([e], requiresGrad: true);
        Parameters = [_ln1W, _ln1B, _attnW, _attnB, _projW, _projB, _ln2W, _ln2B, _fcW, _fcB, _fc2W, _fc2B];
    }

    public Tensor[] Parameters { get; }

    public Tensor Forward(Graph g, Tensor x, int batch, int time)
    {
        var h = g.LayerNorm(x, _ln1W, _ln1B);
        var qkv = g.Linear(h, _attnW, _attnB);                                  // [B*T, 3C]
        var y = g.CausalSelfAttention(g.Reshape(qkv, batch, time, 3 * _c.Embd), _c.Heads, _c.Rotary);
        x = g.Add(x, g.Dropout(g.Linear(g.Reshape(y, batch * time, _c.Embd), _projW, _projB), _c.Dropout));
        h = g.LayerNorm(x, _ln2W, _ln2B);
        h = g.Gelu(g.Linear(h, _fcW, _fcB));                                    // [B*T, 4C]
        return g.Add(x, g.Dropout(g.Linear(h, _fc2W, _fc2B), _c.Dropout));
    }
}
