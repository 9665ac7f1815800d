using AutoResearch.Core.Loop;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;
using AutoResearch.Tests.Support;

namespace AutoResearch.Llm.Tests.Support;

/// <summary>A toy workspace, a fake model endpoint speaking one provider's wire format, and a real loop between them.</summary>
internal sealed class LlmHarness : IAsyncDisposable
{
    public LlmHarness(LlmProvider provider, double x = 10)
    {
        Wire = Wire.For(provider);
        Server = new FakeModelServer(Wire.Problem);
        Toy = new ToyWorkspace(x);
    }

    public Wire Wire { get; }

    public FakeModelServer Server { get; }

    public ToyWorkspace Toy { get; }

    /// <summary>Records the retry waits; they take no time.</summary>
    public InstantDelays Time { get; } = new(TimeSpan.FromMinutes(3));

    public LlmOptions Options => new()
    {
        Provider = Wire.Provider,
        Model = "test-model",
        BaseUrl = Wire.BaseUrl(Server),
        MaxToolCalls = 10,
        Retry = new RetryPolicy { MaxRetries = 3, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromMinutes(2) },
        RequestTimeout = TimeSpan.FromMinutes(5),
    };

    /// <summary>A fresh proposer (as after a restart), with the key in <see cref="Wire.KeyVariable"/>.</summary>
    public LlmProposer Proposer(LlmOptions? options = null, string key = "test-key") =>
        LlmProposer.Connect(options ?? Options, environment: name => name == Wire.KeyVariable ? key : null, time: Time);

    /// <summary>Runs (or resumes) run <paramref name="tag"/> until it has <paramref name="maxExperiments"/> proposals.</summary>
    public async Task<RunSummary> RunAsync(int maxExperiments, LlmProposer? proposer = null, string tag = "t1")
    {
        using var owned = proposer is null ? Proposer() : null;
        var workspace = await GitWorkspace.OpenAsync(Toy.Root);
        var spec = SpecLoader.Load(workspace.Root);
        using var ledger = Ledger.Open(Path.Combine(Toy.Root, ".autoresearch", "ledger.db"));
        var loop = new ResearchLoop(spec, workspace, ledger, proposer ?? owned!, new ExperimentRunner(spec));
        return await loop.RunAsync(new LoopOptions { Tag = tag, MaxExperiments = maxExperiments });
    }

    /// <summary>The bodies of the chat requests received, in order.</summary>
    public IReadOnlyList<string> Requests => Server.Received.Select(r => r.Body).ToList();

    public string Worktree(string tag = "t1") => Path.Combine(Toy.Root, ".autoresearch", "worktrees", tag);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Toy.Dispose();
    }
}
