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
const int MLP_RATIO = 4;            // hidden width of the MLP, in multiples of N_EMBD (SwiGLU: two thirds of it, same weights)
const int BLOCK_SIZE = 128;         // context length (tokens = bytes)
const bool ROTARY = false;          // rotary position embeddings in attention (true) or learned positions (false)
const string NORM = "layernorm";    // choices: layernorm|rmsnorm
const string MLP = "gelu";          // choices: gelu|relu2|swiglu
const bool QK_NORM = false;         // RMS-normalise each head's queries and keys before attention
const bool VALUE_EMBEDDINGS = false; // each block adds a token table of its own to attention's values
const bool TIE_EMBEDDINGS = true;   // the output head is the token embedding (false: a matrix of its own)
const float LOGIT_SOFTCAP = 0f;     // logits squashed smoothly into (-cap, cap) by cap tanh(x / cap) (0 = off)
const float DROPOUT = 0.0f;         // dropout probability on residual branches
const float INIT_STD = 0.02f;       // standard deviation of the initial weights

// ---- optimisation ----
const string OPTIMIZER = "adamw";   // choices: adamw|muon
const int BATCH_SIZE = 16;          // sequences per step (tokens per step = BATCH_SIZE * BLOCK_SIZE)
const float LEARNING_RATE = 1e-3f;  // peak AdamW learning rate
const float BETA1 = 0.9f;           // AdamW first-moment decay
const float BETA2 = 0.95f;          // AdamW second-moment decay
const float MUON_LR = 0.02f;        // peak Muon learning rate of the block matrices (OPTIMIZER = "muon"; AdamW keeps the rest)
const float MUON_MOMENTUM = 0.95f;  // Muon's momentum
const float WEIGHT_DECAY = 0.0f;    // decoupled weight decay on the block matrices
const float EMBED_WEIGHT_DECAY = 0.0f; // on the token and position embeddings and an untied head
const float VALUE_EMBED_WEIGHT_DECAY = 0.0f; // on the value embeddings
const float GAIN_WEIGHT_DECAY = 0.0f; // on norm gains and biases
const double WARMUP = 0.0;          // linear warm-up, as a fraction of the budget
const double FINAL_LR_RATIO = 1.0;  // learning rate at the end of the cosine decay, as a fraction of the peak (1 = constant)
const double GRAD_CLIP = 1.0;       // maximum global gradient L2 norm (0 = no clipping)

var run = TrainingRun.Start(args);
var config = new GptConfig(run.VocabSize, BLOCK_SIZE, N_LAYER, N_HEAD, N_EMBD, MLP_RATIO, ROTARY,
    Choice("NORM", NORM, "layernorm", "rmsnorm"), Choice("MLP", MLP, "gelu", "relu2", "swiglu"), QK_NORM,
    VALUE_EMBEDDINGS, TIE_EMBEDDINGS, LOGIT_SOFTCAP, DROPOUT, INIT_STD);
var model = new Gpt(config, new Rng(run.Seed));
// nanoGPT's parameter groups: each kind of weight with its own decay. With Muon the block matrices leave AdamW for it.
var muon = Choice("OPTIMIZER", OPTIMIZER, "adamw", "muon") == "muon" ? new Muon(model.Matrices, MUON_MOMENTUM, weightDecay: WEIGHT_DECAY) : null;
var adamw = new AdamW(
[
    new ParameterGroup(muon is null ? model.Matrices : [], WEIGHT_DECAY),
    new ParameterGroup(model.Embeddings, EMBED_WEIGHT_DECAY),
    new ParameterGroup(model.ValueEmbeddings, VALUE_EMBED_WEIGHT_DECAY),
    new ParameterGroup(model.Gains, GAIN_WEIGHT_DECAY),
], BETA1, BETA2);
var loader = run.Loader(BATCH_SIZE, BLOCK_SIZE);
var graph = new Graph(seed: run.Seed);

while (!run.Budget.Done)
{
    loader.Next();
    graph.Reset();
    var logits = model.Forward(graph, loader.Inputs, BATCH_SIZE, BLOCK_SIZE);
    var loss = graph.CrossEntropy(logits, loader.Targets);
    adamw.ZeroGrad();
    muon?.ZeroGrad();
    graph.Backward(loss);
    if (GRAD_CLIP > 0)
    {
        Gradients.ClipNorm(model.Parameters, GRAD_CLIP);
    }

    var schedule = LrSchedule.Cosine(run.Budget.Fraction, WARMUP, FINAL_LR_RATIO);
    adamw.Step(LEARNING_RATE * schedule);
    muon?.Step(MUON_LR * schedule);
    run.Step(loss.Item, loader.TokensPerBatch);
}

return run.Finish(model.Forward, BLOCK_SIZE, model.Parameters);

// A text constant's value, checked against its choices: a typo must stop the run, not fall back to a default.
static string Choice(string name, string value, params string[] choices) => choices.Contains(value) ? value
    : throw new ArgumentException($"{name} = \"{value}\" is not one of its choices: {string.Join(", ", choices)}");

/// <summary>The shape of the model (nanoGPT's GPTConfig).</summary>
sealed record GptConfig(int Vocab, int BlockSize, int Layers, int Heads, int Embd, int MlpRatio, bool Rotary, string Norm,
    string Mlp, bool QkNorm, bool ValueEmbeddings, bool TieEmbeddings, float LogitSoftcap, float Dropout, float InitStd);

/// <summary>A norm layer: LayerNorm (gain and bias) or RMSNorm (gain only).</summary>
sealed class Norm(GptConfig c)
{
    private readonly Tensor _weight = Tensor.Full([c.Embd], 1f, requiresGrad: true);
    private readonly Tensor _bias = Tensor.Zeros([c.Embd], requiresGrad: true);

    public Tensor[] Parameters => c.Norm == "rmsnorm" ? [_weight] : [_weight, _bias];

    public Tensor Forward(Graph g, Tensor x) => c.Norm == "rmsnorm" ? g.RmsNorm(x, _weight) : g.LayerNorm(x, _weight, _bias);
}

/// <summary>A GPT-2 style decoder: token (+ position) embeddings, pre-norm blocks, an output head tied to the token embedding or its own.</summary>
sealed class Gpt
{
    private readonly GptConfig _c;
    private readonly Tensor _wte, _wpe, _head;
    private readonly Norm _lnF;
    private readonly Block[] _blocks;
    private readonly Dictionary<int, int[]> _positions = [];

    public Gpt(GptConfig c, Rng rng)
    {
        _c = c;
        _wte = Tensor.Normal([c.Vocab, c.Embd], c.InitStd, rng, requiresGrad: true);
        _wpe = Tensor.Normal([c.BlockSize, c.Embd], c.InitStd, rng, requiresGrad: true);
        _blocks = [.. Enumerable.Range(0, c.Layers).Select(_ => new Block(c, rng))];
        _lnF = new Norm(c);
        _head = c.TieEmbeddings ? _wte : Tensor.Normal([c.Vocab, c.Embd], c.InitStd, rng, requiresGrad: true);
        Parameters = [_wte, .. c.Rotary ? Array.Empty<Tensor>() : [_wpe], .. _blocks.SelectMany(b => b.Parameters), .. _lnF.Parameters,
            .. c.TieEmbeddings ? Array.Empty<Tensor>() : [_head]];
        Embeddings = [_wte, .. c.Rotary ? Array.Empty<Tensor>() : [_wpe], .. c.TieEmbeddings ? Array.Empty<Tensor>() : [_head]];
        Matrices = [.. _blocks.SelectMany(b => b.Matrices)];
        ValueEmbeddings = [.. _blocks.SelectMany(b => b.ValueEmbeddings)];
        Gains = [.. Parameters.Except(Embeddings).Except(Matrices).Except(ValueEmbeddings)];
    }

    public List<Tensor> Parameters { get; }

    public List<Tensor> Embeddings { get; }

    public List<Tensor> Matrices { get; }

    public List<Tensor> ValueEmbeddings { get; }

    /// <summary>Norm gains and biases.</summary>
    public List<Tensor> Gains { get; }

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
            x = block.Forward(g, x, tokens, batch, time);
        }

        var logits = g.Linear(_lnF.Forward(g, x), _head);                      // [B*T, vocab]
        return _c.LogitSoftcap > 0 ? g.Softcap(logits, _c.LogitSoftcap) : logits;
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

/// <summary>Pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x)).</summary>
sealed class Block
{
    private readonly GptConfig _c;
    private readonly int _hidden;
    private readonly Norm _ln1, _ln2;
    private readonly Tensor _attnW, _attnB, _projW, _projB, _fcW, _fcB, _fc2W, _fc2B;
    private readonly Tensor? _vte;

    public Block(GptConfig c, Rng rng)
    {
        _c = c;
        var (e, std) = (c.Embd, c.InitStd);
        // SwiGLU has three matrices where the others have two: two thirds of the width keeps the weights (LLaMA's rule).
        _hidden = c.Mlp == "swiglu" ? ((2 * c.MlpRatio * e / 3) + 7) / 8 * 8 : c.MlpRatio * e;
        var fcRows = c.Mlp == "swiglu" ? 2 * _hidden : _hidden;                // SwiGLU: gate and up in one matrix
        var projStd = std / MathF.Sqrt(2 * c.Layers);                          // GPT-2: scale residual projections
        _ln1 = new Norm(c);
        _attnW = Tensor.Normal([3 * e, e], std, rng, requiresGrad: true);
        _attnB = Tensor.Zeros([3 * e], requiresGrad: true);
        _projW = Tensor.Normal([e, e], projStd, rng, requiresGrad: true);
        _projB = Tensor.Zeros([e], requiresGrad: true);
        _ln2 = new Norm(c);
        _fcW = Tensor.Normal([fcRows, e], std, rng, requiresGrad: true);
        _fcB = Tensor.Zeros([fcRows], requiresGrad: true);
        _fc2W = Tensor.Normal([e, _hidden], projStd, rng, requiresGrad: true);
        _fc2B = Tensor.Zeros([e], requiresGrad: true);
        _vte = c.ValueEmbeddings ? Tensor.Normal([c.Vocab, e], std, rng, requiresGrad: true) : null;
        Parameters = [.. _ln1.Parameters, _attnW, _attnB, _projW, _projB, .. _ln2.Parameters, _fcW, _fcB, _fc2W, _fc2B,
            .. _vte is null ? Array.Empty<Tensor>() : [_vte]];
    }

    public Tensor[] Parameters { get; }

    public Tensor[] Matrices => [_attnW, _projW, _fcW, _fc2W];

    public Tensor[] ValueEmbeddings => _vte is null ? [] : [_vte];

    public Tensor Forward(Graph g, Tensor x, int[] tokens, int batch, int time)
    {
        var e = _c.Embd;
        var qkv = g.Linear(_ln1.Forward(g, x), _attnW, _attnB);                // [B*T, 3C]: queries, keys, values
        if (_c.QkNorm || _vte is not null)
        {
            var qk = g.Slice(qkv, 0, 2 * e);
            if (_c.QkNorm)
            {
                var heads = g.Reshape(qk, batch * time * 2 * _c.Heads, e / _c.Heads); // one row per head
                qk = g.Reshape(g.RmsNorm(heads), batch * time, 2 * e);
            }

            var v = g.Slice(qkv, 2 * e, e);
            if (_vte is not null)
            {
                v = g.Add(v, g.Embedding(_vte, tokens));                        // + this block's value embedding
            }

            qkv = g.Concat(qk, v);
        }

        var y = g.CausalSelfAttention(g.Reshape(qkv, batch, time, 3 * e), _c.Heads, _c.Rotary);
        x = g.Add(x, g.Dropout(g.Linear(g.Reshape(y, batch * time, e), _projW, _projB), _c.Dropout));
        var h = g.Linear(_ln2.Forward(g, x), _fcW, _fcB);                      // [B*T, hidden] (SwiGLU: twice that)
        h = _c.Mlp switch
        {
            "relu2" => g.ReluSquared(h),
            "swiglu" => g.Mul(g.Silu(g.Slice(h, 0, _hidden)), g.Slice(h, _hidden, _hidden)),
            _ => g.Gelu(h),
        };
        return g.Add(x, g.Dropout(g.Linear(h, _fc2W, _fc2B), _c.Dropout));
    }
}
