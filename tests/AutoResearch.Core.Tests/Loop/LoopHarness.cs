using AutoResearch.Core.Loop;
using AutoResearch.Core.Proposers;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Loop;

/// <summary>Wires a real loop over a <see cref="ToyWorkspace"/>: real git, real processes, real SQLite.</summary>
internal static class LoopHarness
{
    public static async Task<RunSummary> RunAsync(
        ToyWorkspace toy,
        int maxExperiments,
        string? tag = "t1",
        IProposer? proposer = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        CancellationToken cancellationToken = default,
        string? keyDirectory = null)
    {
        var workspace = await GitWorkspace.OpenAsync(toy.Root, cancellationToken);
        var spec = SpecLoader.Load(workspace.Root);
        using var ledger = Ledger.Open(LedgerPath(toy), keyDirectory is null ? null : LedgerKey.LoadOrCreate(LedgerPath(toy), keyDirectory));
        var loop = new ResearchLoop(
            spec,
            workspace,
            ledger,
            proposer ?? new CliProposer(toy.AgentCommand, spec.Agent.Timeout),
            new ExperimentRunner(spec, environment));
        return await loop.RunAsync(new LoopOptions { Tag = tag, MaxExperiments = maxExperiments }, cancellationToken);
    }

    /// <summary>Runs a loop over any workspace with <paramref name="proposer"/> and <paramref name="options"/>.</summary>
    public static async Task<RunSummary> RunAsync(
        string root, IProposer proposer, LoopOptions options, CancellationToken cancellationToken = default, IResearchObserver? observer = null)
    {
        var workspace = await GitWorkspace.OpenAsync(root, cancellationToken);
        var spec = SpecLoader.Load(workspace.Root);
        using var ledger = Ledger.Open(Path.Combine(root, ".autoresearch", "ledger.db"));
        var loop = new ResearchLoop(spec, workspace, ledger, proposer, new ExperimentRunner(spec), observer);
        return await loop.RunAsync(options, cancellationToken);
    }

    public static string LedgerPath(ToyWorkspace toy) => Path.Combine(toy.Root, ".autoresearch", "ledger.db");

    public static IReadOnlyList<ExperimentRecord> Experiments(ToyWorkspace toy, string tag = "t1")
    {
        using var ledger = Ledger.Open(LedgerPath(toy));
        return ledger.Experiments(tag);
    }

    public static string[] Statuses(IEnumerable<ExperimentRecord> experiments) =>
        experiments.Select(e => e.Status is { } s ? Ledger.Name(s) : e.Phase.ToString()).ToArray();
}
