using System.Diagnostics;
using System.Globalization;
using AutoResearch.Core.Proposers.Search.Edits;

namespace AutoResearch.TinyGpt.Tests;

/// <summary>
/// Runs the real template, as `autoresearch init` lays it out, through `dotnet run train.cs` on a synthetic
/// corpus with a small token budget.
/// </summary>
public sealed class TemplateTests : IDisposable
{
    private const string TokenBudget = "40960"; // 20 steps of 16 x 128 tokens

    // val_bpb of the template before it gained its choices (NORM, MLP, OPTIMIZER, QK_NORM, ...), at seed 3 on this
    // corpus and budget: with every choice at its default the model, its initialisation and its updates are the same,
    // so the number must not move (beyond the last digits in which vector tiers differ).
    private const double PinnedValBpb = 3.129233;
    private readonly string _workspace = Path.Combine(Path.GetTempPath(), $"tinygpt-{Guid.NewGuid():N}");

    public TemplateTests()
    {
        var template = FindTemplate();
        foreach (var file in Directory.GetFiles(template, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(_workspace, Path.GetRelativePath(template, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.WriteAllText(destination, File.ReadAllText(file).Replace("{{AUTORESEARCH_LIB}}", AppContext.BaseDirectory.TrimEnd('/'), StringComparison.Ordinal));
        }

        File.WriteAllBytes(Path.Combine(_workspace, "corpus.txt"), SyntheticCorpus.Generate(30_000, 5));
    }

    public void Dispose() => Directory.Delete(_workspace, recursive: true);

    [Fact]
    public void Template_trains_loss_falls_and_same_seed_gives_identical_val_bpb()
    {
        var first = Run();
        var second = Run();

        var losses = Losses(first);
        Assert.True(losses.Count >= 20, first);
        Assert.True(losses[^1] < losses[0] - 1.0, $"loss went from {losses[0]} to {losses[^1]}");
        var bpb = ValBpb(first);
        Assert.True(bpb < 6.0, first);
        Assert.Equal(ValBpb(first), ValBpb(second));
        Assert.Contains("num_steps:        20", first, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_choices_give_the_val_bpb_pinned_before_the_choices_existed()
    {
        var bpb = ValBpb(Run());
        Assert.True(Math.Abs(bpb - PinnedValBpb) <= 1e-5 * PinnedValBpb, $"val_bpb {bpb.ToString("R", CultureInfo.InvariantCulture)}, pinned {PinnedValBpb}");
    }

    [Theory]
    [InlineData("NORM = \"rmsnorm\"", "MLP = \"swiglu\"", "QK_NORM = true", "VALUE_EMBEDDINGS = true", "TIE_EMBEDDINGS = false",
        "LOGIT_SOFTCAP = 15f", "OPTIMIZER = \"muon\"", "ROTARY = true", "WEIGHT_DECAY = 0.1f", "VALUE_EMBED_WEIGHT_DECAY = 0.1f")]
    [InlineData("MLP = \"relu2\"", "EMBED_WEIGHT_DECAY = 0.1f", "GAIN_WEIGHT_DECAY = 0.1f")]
    public void Every_choice_trains_and_the_loss_falls(params string[] settings)
    {
        var source = File.ReadAllText(Path.Combine(_workspace, "train.cs"));
        foreach (var setting in settings)
        {
            var name = setting[..setting.IndexOf(' ', StringComparison.Ordinal)];
            var line = source.Split('\n').Single(l => l.StartsWith($"const ", StringComparison.Ordinal) && l.Contains($" {name} = ", StringComparison.Ordinal));
            var value = line[(line.IndexOf(" = ", StringComparison.Ordinal) + 3)..line.IndexOf(';', StringComparison.Ordinal)];
            source = source.Replace(line, line.Replace($"{name} = {value};", $"{setting};", StringComparison.Ordinal), StringComparison.Ordinal);
        }

        File.WriteAllText(Path.Combine(_workspace, "train.cs"), source);
        var output = Run();
        var losses = Losses(output);
        Assert.True(losses[^1] < losses[0] - 1.0, $"loss went from {losses[0]} to {losses[^1]}\n{output}");
        Assert.NotEqual(PinnedValBpb, ValBpb(output));
    }

    [Fact]
    public void A_text_constant_outside_its_choices_stops_the_run_with_its_name()
    {
        // An agent that writes MLP = "swish" must not get GELU silently.
        var path = Path.Combine(_workspace, "train.cs");
        File.WriteAllText(path, File.ReadAllText(path).Replace("const string MLP = \"gelu\";", "const string MLP = \"swish\";", StringComparison.Ordinal));
        var (exit, output) = Run(expectSuccess: false);
        Assert.NotEqual(0, exit);
        Assert.Contains("MLP = \"swish\" is not one of its choices: gelu, relu2, swiglu", output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_search_code_edits_that_apply_to_the_template_compile_and_train()
    {
        var path = Path.Combine(_workspace, "train.cs");
        var source = File.ReadAllText(path);
        var applied = new List<string>();
        foreach (var edit in CodeEdits.All)
        {
            if (edit.Apply("train.cs", source).Text is { } edited)
            {
                source = edited;
                applied.Add(edit.Name);
            }
        }

        Assert.Contains("warmdown", applied);
        Assert.Contains("zero-init-proj", applied);
        File.WriteAllText(path, source);
        var output = Run();
        var losses = Losses(output);
        Assert.True(losses[^1] < losses[0] - 1.0, $"edits {string.Join(", ", applied)}: loss went from {losses[0]} to {losses[^1]}\n{output}");
    }

    [Fact]
    public void Every_vector_tier_trains_to_the_same_numbers_within_tolerance()
    {
        // The runtime's own switches: AVX-512 off leaves the 256-bit kernels, AVX2 off the 128-bit ones (SSE here,
        // NEON's width). Each tier has its own GEMM micro-kernel and attention loops, so sums round differently;
        // the model's numbers must still agree closely, and a tier that computed something else would not.
        var widest = Run();
        foreach (var tier in new[] { "DOTNET_EnableAVX512", "DOTNET_EnableAVX2" })
        {
            var narrower = Run((tier, "0"));
            var (a, b) = (ValBpb(widest), ValBpb(narrower));
            Assert.True(Math.Abs(a - b) <= 1e-4 * a, $"{tier}=0: val_bpb {b} against {a}");
            var (la, lb) = (Losses(widest), Losses(narrower));
            Assert.Equal(la.Count, lb.Count);
            for (var i = 0; i < la.Count; i++)
            {
                Assert.True(Math.Abs(la[i] - lb[i]) <= 1e-3 * la[i] + 1e-4, $"{tier}=0: loss {lb[i]} against {la[i]} at progress line {i}");
            }
        }
    }

    private static List<double> Losses(string output) =>
        [.. output.Split('\n').Where(l => l.StartsWith("progress: ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(l.IndexOf("loss: ", StringComparison.Ordinal) + 6)..], CultureInfo.InvariantCulture))];

    private static double ValBpb(string output) =>
        double.Parse(output.Split('\n').Single(l => l.StartsWith("val_bpb:", StringComparison.Ordinal))[8..].Trim(), CultureInfo.InvariantCulture);

    private string Run(params (string Name, string Value)[] environment) => Run(expectSuccess: true, environment).Output;

    private (int Exit, string Output) Run(bool expectSuccess, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo("dotnet", ["run", "train.cs"])
        {
            WorkingDirectory = _workspace,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["AUTORESEARCH_DATA"] = Path.Combine(_workspace, "corpus.txt");
        start.Environment["AUTORESEARCH_TOKEN_BUDGET"] = TokenBudget;
        start.Environment["AUTORESEARCH_SEED"] = "3";
        start.Environment["AUTORESEARCH_THREADS"] = "2";
        start.Environment.Remove("AUTORESEARCH_TIME_BUDGET");
        start.Environment.Remove("AUTORESEARCH_LIB");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "train.cs did not finish in 3 minutes");
        Assert.True(!expectSuccess || process.ExitCode == 0, $"exit {process.ExitCode}\n{stdout}\n{stderr.Result}");
        return (process.ExitCode, expectSuccess ? stdout : stdout + stderr.Result);
    }

    internal static string FindTemplate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "templates", "tinygpt");
            if (File.Exists(Path.Combine(candidate, "train.cs")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"templates/tinygpt not found above {AppContext.BaseDirectory}");
    }
}
