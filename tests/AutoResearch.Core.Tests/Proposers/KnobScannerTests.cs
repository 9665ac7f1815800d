using AutoResearch.Core.Proposers.Search;

namespace AutoResearch.Core.Tests.Proposers;

public sealed class KnobScannerTests
{
    [Fact]
    public void CSharp_constants_become_knobs_with_inferred_spaces()
    {
        const string text = """
            using AutoResearch.Nn;
            const double LEARNING_RATE = 1e-3; // peak learning rate
            const int N_LAYER = 4;             // transformer blocks
            const int BATCH = 12;
            const float DROPOUT = 0.1f;
            const bool USE_ROPE = true;
            const string ACTIVATION = "gelu"; // choices: gelu|relu|silu
            const string NAME = "free text";
            const int SEED = 0;
            static class Hyper
            {
                public const double WEIGHT_DECAY = 0.1;
            }
            var lr = LEARNING_RATE;
            """;

        var all = KnobScanner.Scan("train.cs", text);
        var knobs = all.Where(k => !k.Space.Frozen).ToDictionary(k => k.Name);

        Assert.Equal(["LEARNING_RATE", "N_LAYER", "BATCH", "DROPOUT", "USE_ROPE", "ACTIVATION", "WEIGHT_DECAY"], knobs.Keys);
        // Nothing to infer from free text or a zero: found, but frozen until [search.knobs] gives them a space.
        Assert.Equal(["NAME", "SEED"], all.Where(k => k.Space.Frozen).Select(k => k.Name));
        Assert.Equal(KnobKind.Float, knobs["LEARNING_RATE"].Space.Kind);
        Assert.True(knobs["LEARNING_RATE"].Space.Log);
        Assert.Equal(1e-4, knobs["LEARNING_RATE"].Space.Low, 12);
        Assert.Equal(1e-2, knobs["LEARNING_RATE"].Space.High, 12);
        // A layer count is a small range of whole counts around its value, not a power of two.
        Assert.False(knobs["N_LAYER"].Space.PowerOfTwo);
        Assert.Equal((2, 8), (knobs["N_LAYER"].Space.Low, knobs["N_LAYER"].Space.High));
        Assert.False(knobs["BATCH"].Space.PowerOfTwo);
        Assert.Equal(KnobKind.Integer, knobs["BATCH"].Space.Kind);
        Assert.True(knobs["DROPOUT"].Space.High < 1);
        Assert.Equal(["true", "false"], knobs["USE_ROPE"].Space.Choices);
        Assert.Equal(["\"gelu\"", "\"relu\"", "\"silu\""], knobs["ACTIVATION"].Space.Choices);
        Assert.Equal("1e-3", text.Substring(knobs["LEARNING_RATE"].Start, knobs["LEARNING_RATE"].Length));
    }

    [Fact]
    public void Python_constants_and_tuples_become_knobs()
    {
        const string text = """
            import torch
            LEARNING_RATE = 3e-4  # adam lr
            ADAM_BETAS = (0.8, 0.95)
            DEPTH = 8
            USE_FLASH = True
            WINDOW = "SSSL"  # choices: SSSL|LLLL
            def f():
                INNER = 5
            """;

        var knobs = KnobScanner.Scan("train.py", text).ToDictionary(k => k.Name);

        Assert.Equal(["LEARNING_RATE", "ADAM_BETAS[0]", "ADAM_BETAS[1]", "DEPTH", "USE_FLASH", "WINDOW"], knobs.Keys);
        Assert.Equal("0.95", text.Substring(knobs["ADAM_BETAS[1]"].Start, knobs["ADAM_BETAS[1]"].Length));
        Assert.Equal(["True", "False"], knobs["USE_FLASH"].Space.Choices);
        Assert.Equal(["\"SSSL\"", "\"LLLL\""], knobs["WINDOW"].Space.Choices);
    }

    [Fact]
    public void Shell_assignments_become_knobs()
    {
        var knobs = KnobScanner.Scan("knobs.sh", "# comment\nX=1.5\nexport STEPS=100 # steps\nlr=3e-4\nZERO=0\nSEED=7\n  indented=2\n").Where(k => !k.Space.Frozen);

        Assert.Equal(["X", "STEPS", "lr"], knobs.Select(k => k.Name));
    }
}
