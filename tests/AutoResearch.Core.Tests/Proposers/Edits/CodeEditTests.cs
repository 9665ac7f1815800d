using System.Diagnostics;
using AutoResearch.Core.Proposers.Search.Edits;

namespace AutoResearch.Core.Tests.Proposers.Edits;

/// <summary>
/// Every code edit of the library on a PyTorch GPT in the usual layout and on the tinygpt template: applied where its
/// anchor is, marked, never applied twice, skipped with a reason elsewhere; edited Python still parses, and trains a
/// few steps where PyTorch is installed. (The edited template is compiled and trained in AutoResearch.TinyGpt.Tests.)
/// </summary>
public sealed class CodeEditTests
{
    private static readonly string s_fixtures = Path.Combine(AppContext.BaseDirectory, "Proposers", "Edits");

    private static string Python => File.ReadAllText(Path.Combine(s_fixtures, "gpt_fixture.py"));

    private static string Template => File.ReadAllText(Path.Combine(s_fixtures, "tinygpt_train.cs"));

    public static TheoryData<string> Names() => [.. CodeEdits.All.Select(e => e.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void An_edit_marks_what_it_did_and_refuses_to_apply_twice(string name)
    {
        var edit = CodeEdits.Find(name)!;
        foreach (var (path, text) in new[] { ("model.py", Python), ("train.cs", Template) })
        {
            var outcome = edit.Apply(path, text);
            if (outcome.Text is null)
            {
                Assert.False(string.IsNullOrWhiteSpace(outcome.Skipped));
                Assert.False(edit.IsApplied(text));
                continue;
            }

            Assert.Null(outcome.Skipped);
            Assert.NotEqual(text, outcome.Text);
            Assert.False(edit.IsApplied(text));
            Assert.True(edit.IsApplied(outcome.Text), $"{name} on {path} left no marker");
            Assert.Contains("already", edit.Apply(path, outcome.Text).Skipped, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_edit_applies_to_the_pytorch_gpt_or_says_it_has_no_python_form()
    {
        foreach (var edit in CodeEdits.All)
        {
            var outcome = edit.Apply("model.py", Python);
            if (edit.Name == "warmdown")
            {
                Assert.Contains("no warmdown edit for Python", outcome.Skipped, StringComparison.Ordinal);
            }
            else
            {
                Assert.True(outcome.Text is not null, $"{edit.Name}: {outcome.Skipped}");
            }
        }
    }

    [Fact]
    public void Every_python_edit_together_still_parses_and_trains()
    {
        var text = Python;
        foreach (var edit in CodeEdits.All)
        {
            text = edit.Apply("model.py", text).Text ?? text;
        }

        Assert.All(CodeEdits.All.Where(e => e.Name != "warmdown"), e => Assert.True(e.IsApplied(text), e.Name));
        var file = Path.Combine(Path.GetTempPath(), $"edited-{Guid.NewGuid():N}.py");
        File.WriteAllText(file, text);
        try
        {
            // The interpreter with PyTorch where there is one (Debian's python3-torch is /usr/bin/python3's); else parse only.
            var torch = Python3("-c \"import torch\"").Exit == 0;
            var (exit, output) = torch ? Python3($"\"{file}\"") : Python3($"-c \"import ast,sys; ast.parse(open(sys.argv[1]).read())\" \"{file}\"");
            Assert.True(exit == 0, $"{output}\n--- edited file ---\n{text}");
            if (torch)
            {
                Assert.Contains("loss: ", output, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Relu2_rewrites_functional_and_module_gelu()
    {
        var edited = new ReluSquaredEdit().Apply("m.py", "import torch\nimport torch.nn as nn\n\ny = F.gelu(h @ w, approximate='tanh')\nact = nn.GELU()\n").Text!;
        Assert.Contains("y = F.relu(h @ w).square()", edited, StringComparison.Ordinal);
        Assert.Contains("act = ReLUSquared()", edited, StringComparison.Ordinal);
        Assert.Contains("class ReLUSquared(nn.Module):  # search: relu2", edited, StringComparison.Ordinal);
        Assert.True(edited.IndexOf("class ReLUSquared", StringComparison.Ordinal) > edited.IndexOf("import torch.nn", StringComparison.Ordinal));
        var cs = new ReluSquaredEdit().Apply("train.cs", Template).Text!;
        Assert.DoesNotContain("g.Gelu(", cs, StringComparison.Ordinal);
        Assert.Contains("\"relu2\" => g.ReluSquared(h),", cs, StringComparison.Ordinal); // the other arm, untouched
        Assert.Contains("_ => g.ReluSquared(h) /* search: relu2 */,", cs, StringComparison.Ordinal);
    }

    [Fact]
    public void Rmsnorm_writes_the_normalisation_out_and_keeps_the_gain()
    {
        var edited = new RmsNormEdit().Apply("m.py", "import torch\n\ndef f(input, w, b):\n    return F.layer_norm(input, w.shape, w, b, 1e-6)\n").Text!;
        Assert.Contains("return (input * torch.rsqrt(input.pow(2).mean(-1, keepdim=True) + 1e-6) * w)", edited, StringComparison.Ordinal);
        Assert.Contains("search: rmsnorm", edited, StringComparison.Ordinal);
        var refused = new RmsNormEdit().Apply("m.py", "return F.layer_norm(x + y, s, w, b)\n");
        Assert.Contains("cannot rewrite safely", refused.Skipped, StringComparison.Ordinal);
        var cs = new RmsNormEdit().Apply("train.cs", Template).Text!;
        Assert.Contains("g.RmsNorm(x, _weight) /* search: rmsnorm */", cs, StringComparison.Ordinal);
    }

    [Fact]
    public void Qk_norm_goes_after_the_split_into_heads_or_before_the_attention_call()
    {
        var split = new QkNormEdit().Apply("model.py", Python).Text!;
        var lines = split.Split('\n');
        var at = Array.FindIndex(lines, l => l.Contains("search: qk-norm", StringComparison.Ordinal));
        Assert.StartsWith("        k = k.view(", lines[at - 1], StringComparison.Ordinal);
        Assert.StartsWith("        q, k = q * torch.rsqrt(q.pow(2).mean(-1, keepdim=True) + 1e-6), k * torch.rsqrt(", lines[at], StringComparison.Ordinal);

        var sdpa = "def f(a, b, c):\n    if True:\n        y = F.scaled_dot_product_attention(a, b, c, is_causal=True)\n    return y\n";
        var edited = new QkNormEdit().Apply("m.py", sdpa).Text!.Split('\n');
        Assert.StartsWith("        a, b = a * torch.rsqrt(", edited[2], StringComparison.Ordinal);
        Assert.StartsWith("        y = F.scaled_dot_product_attention(", edited[3], StringComparison.Ordinal);
        Assert.Contains("no q/k split", new QkNormEdit().Apply("m.py", "x = 1\n").Skipped, StringComparison.Ordinal);
        Assert.Contains("no qk-norm edit for C#", new QkNormEdit().Apply("train.cs", Template).Skipped, StringComparison.Ordinal);
    }

    [Fact]
    public void Softcap_follows_every_head_and_is_refused_where_the_logits_are_capped_already()
    {
        var edited = new LogitSoftcapEdit().Apply("model.py", Python).Text!;
        Assert.Contains("        logits = self.lm_head(x)\n        logits = 30 * torch.tanh(logits / 30)  # search: softcap\n", edited, StringComparison.Ordinal);
        Assert.Contains("already", new LogitSoftcapEdit().Apply("train.cs", Template).Skipped, StringComparison.Ordinal);
        var old = "    public Tensor Forward(Graph g)\n    {\n        x = g.LayerNorm(x, w, b);\n        return g.Linear(x, _wte);   // tied head\n    }\n";
        Assert.Contains("return g.Softcap(g.Linear(x, _wte), 30f) /* search: softcap */;", new LogitSoftcapEdit().Apply("train.cs", old).Text!, StringComparison.Ordinal);
        Assert.NotNull(new LogitSoftcapEdit().Apply("train.cs", "        return g.Linear(x, w\n").Skipped); // unbalanced: skipped, not thrown
    }

    [Fact]
    public void Untie_head_comments_out_the_tying_line_only()
    {
        var edited = new UntieHeadEdit().Apply("model.py", Python).Text!;
        Assert.Contains("        pass  # search: untie-head: self.transformer.wte.weight = self.lm_head.weight  # tied, as GPT-2", edited, StringComparison.Ordinal);
        Assert.Contains("no line tying", new UntieHeadEdit().Apply("m.py", "self.lm_head = nn.Linear(8, 8)\n").Skipped, StringComparison.Ordinal);
    }

    [Fact]
    public void Zero_init_touches_the_depth_scaled_projections_only()
    {
        var edited = new ZeroInitProjectionsEdit().Apply("model.py", Python).Text!;
        Assert.Contains("torch.nn.init.zeros_(p)  # search: zero-init-proj", edited, StringComparison.Ordinal);
        var cs = new ZeroInitProjectionsEdit().Apply("train.cs", Template).Text!;
        Assert.Equal(2, cs.Split("Tensor.Zeros([e, e], requiresGrad: true) /* search: zero-init-proj */").Length
            + cs.Split("Tensor.Zeros([e, _hidden], requiresGrad: true) /* search: zero-init-proj */").Length - 2);
        Assert.Contains("_attnW = Tensor.Normal([3 * e, e], std, rng, requiresGrad: true);", cs, StringComparison.Ordinal);
    }

    [Fact]
    public void Warmdown_keeps_progress_and_warmup()
    {
        var cs = new WarmdownEdit().Apply("train.cs", Template).Text!;
        Assert.Contains("LrSchedule.WarmupStableDecay(run.Budget.Fraction, WARMUP, cooldown: 0.4, finalRatio: 0) /* search: warmdown */", cs, StringComparison.Ordinal);
        Assert.DoesNotContain("LrSchedule.Cosine(", cs, StringComparison.Ordinal);
    }

    [Fact]
    public void Embedding_group_moves_embeddings_out_of_the_decayed_list()
    {
        var edited = new EmbeddingDecayEdit().Apply("model.py", Python).Text!;
        Assert.Contains("decay = [p for n, p in params.items() if p.dim() >= 2 and not any(e in n for e in ('wte', 'wpe', 'emb'))]  # search: embed-no-decay", edited, StringComparison.Ordinal);
        Assert.Contains("no_decay = [p for n, p in params.items() if p.dim() < 2 or any(e in n for e in ('wte', 'wpe', 'emb'))]", edited, StringComparison.Ordinal);
    }

    private static (int Exit, string Output) Python3(string arguments)
    {
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        using var process = Process.Start(new ProcessStartInfo(python, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
