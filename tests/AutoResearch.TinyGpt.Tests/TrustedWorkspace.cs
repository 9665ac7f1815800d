using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;

namespace AutoResearch.TinyGpt.Tests;

/// <summary>
/// The tinygpt template laid out as <c>autoresearch init</c> does, with the hostile train.cs, a synthetic corpus, the
/// sandbox on, and the honest run done once (which also builds train.cs inside the sandbox for every later run).
/// </summary>
public sealed class TrustedWorkspace : IAsyncLifetime
{
    private const string TokenBudget = "40960"; // 20 steps of 16 x 128 tokens
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"tinygpt-trusted-{Guid.NewGuid():N}");

    /// <summary>The worktree.</summary>
    public string Worktree => Path.Combine(_root, "workspace");

    /// <summary>The corpus (inside the worktree, hidden from trusted training).</summary>
    public string Corpus => Path.Combine(Worktree, "corpus.txt");

    /// <summary>The run directory every run shares (and with it the sandbox's HOME and the build of train.cs).</summary>
    public string RunDirectory => Path.Combine(_root, "run");

    /// <summary>The template's spec with the sandbox on.</summary>
    public ResearchSpec Spec { get; private set; } = null!;

    /// <summary>The honest run, trusted and sandboxed.</summary>
    public RunResult Honest { get; private set; } = null!;

    /// <summary>The honest run's log (the shared run directory's run.log is overwritten by later runs).</summary>
    public string HonestLog { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var template = TemplateTests.FindTemplate();
        foreach (var file in Directory.GetFiles(template, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(Worktree, Path.GetRelativePath(template, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.WriteAllText(destination, File.ReadAllText(file).Replace("{{AUTORESEARCH_LIB}}", AppContext.BaseDirectory.TrimEnd('/'), StringComparison.Ordinal));
        }

        File.WriteAllText(Path.Combine(Worktree, "train.cs"), HostileTrainCs.From(File.ReadAllText(Path.Combine(template, "train.cs"))));
        File.WriteAllBytes(Corpus, SyntheticCorpus.Generate(30_000, 5));
        Spec = SpecLoader.Load(Worktree).Sandboxed();
        Assert.Equal(ScoreMode.Trusted, Spec.Score.Mode);
        Honest = await RunAsync("");
        HonestLog = File.ReadAllText(Honest.LogPath);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>One run of train.cs with <c>HOSTILE</c> = <paramref name="hostile"/>, under <paramref name="adjust"/>ed spec.</summary>
    public async Task<RunResult> RunAsync(string hostile, Func<ResearchSpec, ResearchSpec>? adjust = null, string target = "")
    {
        var spec = adjust is null ? Spec : adjust(Spec);
        var environment = new Dictionary<string, string?>
        {
            ["AUTORESEARCH_LIB"] = AppContext.BaseDirectory.TrimEnd('/'),
            ["AUTORESEARCH_DATA"] = Corpus,
            ["AUTORESEARCH_TOKEN_BUDGET"] = TokenBudget,
            ["AUTORESEARCH_THREADS"] = "2",
            ["AUTORESEARCH_TIME_BUDGET"] = null,
            ["HOSTILE"] = hostile,
            ["HOSTILE_TARGET"] = target,
        };
        return await new ExperimentRunner(spec, environment).RunAsync(Worktree, RunDirectory, experiment: 1, seed: 3);
    }
}
