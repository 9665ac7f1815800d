using AutoResearch.Core.Proposers.Search;

namespace AutoResearch.Core.Tests.Proposers;

/// <summary>Knobs as researchers write them, in each language's conventions, and edits of them in place.</summary>
public sealed class KnobConventionTests
{
    private const string NanoGptConfig = """
        # config for training GPT-2 (124M) on a CPU
        out_dir = 'out-shakespeare-char'
        eval_interval = 250 # keep frequent because we'll overfit
        eval_iters = 200
        log_interval = 10
        always_save_checkpoint = False
        dataset = 'shakespeare_char'
        gradient_accumulation_steps = 1
        batch_size = 12
        block_size = 64 # context of up to 64 previous characters
        n_layer = 4
        n_head = 4
        n_embd = 128
        dropout = 0.0
        learning_rate = 1e-3 # with baby networks can afford to go a bit higher
        max_iters = 2000
        lr_decay_iters = 2000 # make equal to max_iters usually
        min_lr = 1e-4 # learning_rate / 10 usually
        beta2 = 0.99 # make a bit bigger because number of tokens per iter is small
        warmup_iters = 100 # not super necessary potentially
        device = 'cpu'
        seed = 1337
        compile = False
        tokens_per_iter = gradient_accumulation_steps * batch_size * block_size
        learning_rate = 6e-4
        def get_lr(it):
            min_lr = 5
            return min_lr
        device_type = 'cuda' if 'cuda' in device else 'cpu'
        """;

    [Fact]
    public void Python_config_files_of_lowercase_assignments_become_knobs()
    {
        var all = KnobScanner.Scan("config/train_shakespeare_char.py", NanoGptConfig).ToDictionary(k => k.Name);
        var searched = all.Values.Where(k => !k.Space.Frozen).Select(k => k.Name).ToList();

        Assert.Equal(["gradient_accumulation_steps", "batch_size", "block_size", "n_layer", "n_head", "n_embd", "max_iters", "lr_decay_iters", "min_lr", "beta2", "warmup_iters", "learning_rate"], searched);
        // The later module-level assignment is the one that takes effect; an assignment inside a function is not a knob.
        Assert.Equal("6e-4", all["learning_rate"].Literal);
        Assert.Equal(25, all["learning_rate"].Line);
        Assert.Equal("1e-4", all["min_lr"].Literal);
        Assert.Equal("Python assignment", all["n_layer"].Convention);
        // Seeds, devices, logging and evaluation settings and lowercase switches are found but never searched.
        Assert.All(new[] { "seed", "eval_interval", "eval_iters", "log_interval", "always_save_checkpoint", "compile", "device", "dropout" },
            name => Assert.True(all[name].Space.Frozen, name));
        Assert.Contains("seed", all["seed"].Space.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("tokens_per_iter", all.Keys);
        Assert.DoesNotContain("device_type", all.Keys);
    }

    [Fact]
    public void An_assignment_inside_a_docstring_is_text_not_a_knob()
    {
        const string Text = "\"\"\"\nUsage: set\nlr = 0.1\nin your config.\n\"\"\"\nnote = 'a \"\"\" in a string'\nwarmup = 100\n'''\nepochs = 3\n'''\nbatch_size = 32\n";

        var names = KnobScanner.Scan("train.py", Text).Select(k => k.Name).ToList();

        Assert.DoesNotContain("lr", names);
        Assert.DoesNotContain("epochs", names);
        Assert.Contains("warmup", names);
        Assert.Contains("batch_size", names);
    }

    [Fact]
    public void In_a_file_of_upper_case_constants_the_lowercase_names_are_found_but_frozen()
    {
        // karpathy/autoresearch's train.py: a dataclass whose defaults the constants below override, and loop state.
        const string text = """
            @dataclass
            class GPTConfig:
                sequence_len: int = 2048
                n_layer: int = 12

            ADAM_BETAS = (0.8, 0.95)
            DEPTH = 8
            DEVICE_BATCH_SIZE = 128
            H100_BF16_PEAK_FLOPS = 989.5e12
            step = 1
            """;

        var knobs = KnobScanner.Scan("train.py", text).ToDictionary(k => k.Name);

        Assert.Equal(["ADAM_BETAS[0]", "ADAM_BETAS[1]", "DEPTH", "DEVICE_BATCH_SIZE"], knobs.Values.Where(k => !k.Space.Frozen).Select(k => k.Name));
        Assert.True(knobs["n_layer"].Space.Frozen);
        Assert.Contains("UPPER_CASE constants", knobs["step"].Space.Reason, StringComparison.Ordinal);
        Assert.False(KnobScanner.Scan("model.py", "@dataclass\nclass C:\n    n_layer: int = 12\n").Single().Space.Frozen);
    }

    [Fact]
    public void Sizes_that_are_powers_of_two_stay_powers_of_two_and_other_integers_do_not()
    {
        var knobs = KnobScanner.Scan("config.py", NanoGptConfig).ToDictionary(k => k.Name);

        Assert.True(knobs["block_size"].Space.PowerOfTwo);
        Assert.True(knobs["n_embd"].Space.PowerOfTwo);
        Assert.True(knobs["n_head"].Space.PowerOfTwo);
        // 2000 iterations or 4 layers are not sizes: plain integers.
        Assert.False(knobs["max_iters"].Space.PowerOfTwo);
        Assert.False(knobs["n_layer"].Space.PowerOfTwo);
        Assert.False(KnobScanner.Scan("a.py", "max_iters = 4096\n").Single().Space.PowerOfTwo);
    }

    [Fact]
    public void Dataclass_fields_with_defaults_become_knobs()
    {
        const string text = """
            from dataclasses import dataclass

            @dataclass
            class GPTConfig:
                block_size: int = 1024
                vocab_size: int = 50304 # GPT-2 vocab_size of 50257, padded up
                n_layer: int = 12
                n_head: int = 12
                dropout: float = 0.1
                bias: bool = True # True: bias in Linears and LayerNorms

                def scaled(self):
                    width: int = 3
                    return width

            class NotAData:
                hidden: int = 7

            @dataclass(frozen=True)
            class Optim:
                lr: float = 3e-4  # peak
                betas_1: float = 0.9
            """;

        var knobs = KnobScanner.Scan("model.py", text).ToDictionary(k => k.Name);

        Assert.Equal(["block_size", "vocab_size", "n_layer", "n_head", "dropout", "bias", "lr", "betas_1"], knobs.Keys);
        Assert.All(knobs.Values, k => Assert.Equal("dataclass field", k.Convention));
        Assert.Equal("3e-4", text.Substring(knobs["lr"].Start, knobs["lr"].Length));
        Assert.True(knobs["vocab_size"].Space.Frozen);
        Assert.True(knobs["bias"].Space.Frozen);
        Assert.Equal((6, 24), (knobs["n_layer"].Space.Low, knobs["n_layer"].Space.High));
        Assert.True(knobs["betas_1"].Space.Complement);
    }

    [Fact]
    public void Argparse_defaults_become_knobs_named_by_their_destination()
    {
        const string text = """
            import argparse
            parser = argparse.ArgumentParser()
            parser.add_argument('--lr', type=float, default=3e-4, help='learning rate (default: 3e-4)')
            parser.add_argument("-b", "--batch-size", type=int,
                                default=64)
            parser.add_argument('--weight_decay', type=float, default=0)
            parser.add_argument('--clip', type=float, default=1)
            parser.add_argument('--act', default="gelu", choices=["gelu", "relu"])
            parser.add_argument('--seed', type=int, default=42)
            parser.add_argument('--out', default=None)
            parser.add_argument('--layers', dest='n_layer', type=int, default=6)
            args = parser.parse_args()
            """;

        var knobs = KnobScanner.Scan("train.py", text).ToDictionary(k => k.Name);

        Assert.Equal(["lr", "batch_size", "weight_decay", "clip", "act", "seed", "n_layer"], knobs.Keys);
        Assert.Equal("3e-4", text.Substring(knobs["lr"].Start, knobs["lr"].Length));
        Assert.Equal("64", text.Substring(knobs["batch_size"].Start, knobs["batch_size"].Length));
        Assert.True(knobs["batch_size"].Space.PowerOfTwo);
        // `type=float` makes 1 a float: searched as 0.1..10, written 2.5 rather than 2.
        Assert.Equal(KnobKind.Float, knobs["clip"].Space.Kind);
        Assert.Equal(["\"gelu\"", "\"relu\""], knobs["act"].Space.Choices);
        Assert.True(knobs["seed"].Space.Frozen);
        Assert.True(knobs["weight_decay"].Space.Frozen);
        Assert.Equal("argparse default", knobs["n_layer"].Convention);
    }

    [Fact]
    public void Toml_values_become_knobs_named_by_their_table()
    {
        const string text = """
            seed = 3
            lr = 1e-3 # peak

            [model]
            n_layer = 6
            name = "gpt"

            [optim]
            betas = [0.9, 0.95]
            "weight.decay" = 0.1
            schedule = { warmup = 10 }
            """;

        var knobs = KnobScanner.Scan("config.toml", text).ToDictionary(k => k.Name);

        Assert.Equal(["seed", "lr", "model.n_layer", "model.name", "optim.betas[0]", "optim.betas[1]", "optim.weight.decay"], knobs.Keys);
        Assert.Equal("0.95", text.Substring(knobs["optim.betas[1]"].Start, knobs["optim.betas[1]"].Length));
        Assert.Equal(9, knobs["optim.betas[0]"].Line);
        Assert.True(knobs["optim.betas[0]"].Space.Complement);
    }

    [Fact]
    public void Yaml_values_become_knobs_named_by_their_path()
    {
        const string text = """
            # training config
            model:
              n_layer: 8
              n_embd: 256   # width
              norm: "layer"
            optimizer:
              lr: 3.0e-4
              betas: [0.9, 0.999]
              schedule:
                warmup_steps: 500
            trainer:
              devices: 1
              max_steps: 1000
            tags:
              - 12
            """;

        var knobs = KnobScanner.Scan("conf/train.yaml", text).ToDictionary(k => k.Name);

        Assert.Equal(["model.n_layer", "model.n_embd", "model.norm", "optimizer.lr", "optimizer.betas[0]", "optimizer.betas[1]",
            "optimizer.schedule.warmup_steps", "trainer.devices", "trainer.max_steps"], knobs.Keys);
        Assert.Equal("3.0e-4", text.Substring(knobs["optimizer.lr"].Start, knobs["optimizer.lr"].Length));
        Assert.True(knobs["model.n_embd"].Space.PowerOfTwo);
        Assert.Equal(0.99, knobs["optimizer.betas[1]"].Space.Low, 9);
        Assert.Equal(0.9999, knobs["optimizer.betas[1]"].Space.High, 9);
        Assert.True(knobs["trainer.devices"].Space.Frozen);
    }

    [Fact]
    public void Json_values_become_knobs_named_by_their_path()
    {
        const string text = """
            {
              "train": {"lr": 0.0006, "batch_size": 32, "seed": 7, "fp16": true},
              "model": {"layers": 4, "act": "gelu", "dims": [64, 128]},
              "note": null
            }
            """;

        var knobs = KnobScanner.Scan("hparams.json", text).ToDictionary(k => k.Name);

        Assert.Equal(["train.lr", "train.batch_size", "train.seed", "train.fp16", "model.layers", "model.act", "model.dims[0]", "model.dims[1]"], knobs.Keys);
        Assert.Equal("0.0006", text.Substring(knobs["train.lr"].Start, knobs["train.lr"].Length));
        Assert.True(knobs["train.seed"].Space.Frozen);
        Assert.Empty(KnobScanner.Scan("broken.json", "{ \"lr\": 0.1, // comment\n}"));
    }

    [Fact]
    public void CSharp_constants_of_any_case_become_knobs()
    {
        const string text = """
            const double LearningRate = 1e-3; // .NET's own convention
            private const int HiddenSize = 256;
            const int SEED = 5;
            """;

        var knobs = KnobScanner.Scan("Train.cs", text).ToDictionary(k => k.Name);

        Assert.Equal(["LearningRate", "HiddenSize", "SEED"], knobs.Keys);
        Assert.True(knobs["HiddenSize"].Space.PowerOfTwo);
        Assert.True(knobs["SEED"].Space.Frozen);
        Assert.Equal(2, knobs["HiddenSize"].Line);
    }

    [Theory]
    [InlineData("config.py", "config.py")]
    [InlineData("model.py", "dataclass")]
    [InlineData("train.py", "argparse")]
    [InlineData("run.sh", "shell")]
    [InlineData("config.toml", "toml")]
    [InlineData("config.yaml", "yaml")]
    [InlineData("config.json", "json")]
    [InlineData("train.cs", "csharp")]
    public void Every_knob_edits_in_place_and_rescans_to_its_new_value(string file, string sample)
    {
        var text = s_samples[sample];
        var knobs = KnobScanner.Scan(file, text).Where(k => !k.Space.Frozen).ToList();
        Assert.NotEmpty(knobs);

        foreach (var knob in knobs)
        {
            var value = knob.Space.ToLiteral(knob.Space.ToUnit(knob.Literal) is > 0.5 ? 0 : 1, knob.Literal);
            Assert.NotEqual(knob.Literal, value);
            var edited = string.Concat(text.AsSpan(0, knob.Start), value, text.AsSpan(knob.Start + knob.Length));

            var again = KnobScanner.Scan(file, edited).ToDictionary(k => k.Name);

            // The knob reads back with its new value, every other knob as it was, and only the literal changed.
            Assert.Equal(value, again[knob.Name].Literal);
            Assert.All(KnobScanner.Scan(file, text).Where(k => k.Name != knob.Name), k => Assert.Equal(k.Literal, again[k.Name].Literal));
            Assert.Equal(text[..knob.Start], edited[..knob.Start]);
            Assert.Equal(text[(knob.Start + knob.Length)..], edited[(knob.Start + value.Length)..]);
        }
    }

    private static readonly Dictionary<string, string> s_samples = new()
    {
        ["config.py"] = NanoGptConfig,
        ["dataclass"] = "@dataclass\nclass C:\n    n_layer: int = 12\n    lr: float = 3e-4  # peak\n    beta1: float = 0.9\n",
        ["argparse"] = "p.add_argument('--lr', type=float, default=3e-4)\np.add_argument('--batch_size', type=int, default=16, help='x (y)')\n",
        ["shell"] = "#!/bin/bash\nLR=3e-4\nexport BATCH_SIZE=32 # per device\nsteps=1000\npython train.py --lr $LR\n",
        ["toml"] = "[optim]\nlr = 1e-3 # peak\nbetas = [0.9, 0.95]\n[model]\nn_layer = 6\n",
        ["yaml"] = "optim:\n  lr: 1e-3  # peak\n  momentum: 0.9\nmodel:\n  width: 512\n",
        ["json"] = "{\n  \"lr\": 0.001,\n  \"model\": {\"depth\": 6, \"ema_decay\": 0.999}\n}\n",
        ["csharp"] = "const double LR = 1e-3; // peak\nconst float BETA1 = 0.9f;\nconst int N_LAYER = 4;\n",
    };
}
