using AutoResearch.Core.Loop;
using AutoResearch.Core.Proposers;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Loop;

/// <summary>
/// Cost beside the metric: each experiment's cost and run conditions are recorded, compared with its parent's and the
/// baseline's, and <c>[acceptance] max_cost_ratio</c> refuses a win that costs too much. Real loop, git, processes, SQLite.
/// </summary>
public sealed class CostLoopTests
{
    /// <summary>Prints the score from X and, like tinygpt's summary, its size (P millions of parameters) and throughput (R tokens/s).</summary>
    private const string CostlyExperiment = """
        #!/usr/bin/env bash
        source ./knobs.sh
        echo "progress: 50% loss: $X"
        echo "---"
        echo "score: $X"
        echo "num_params_M: $P"
        echo "tokens_per_sec: $R"
        echo "total_tokens_M: 1.5"
        """;

    [Fact]
    public async Task Cost_is_recorded_against_the_parent_and_max_cost_ratio_refuses_a_costly_win()
    {
        using var toy = CostlyToy("""
            [acceptance]
            max_cost_ratio = 1.5
            [cost]
            measure = "params"
            """);
        var proposer = new PlanProposer(
            "sed -i 's/^X=.*/X=5/; s/^P=.*/P=2.0/' knobs.sh",
            "sed -i 's/^X=.*/X=6/; s/^P=.*/P=1.2/' knobs.sh");

        var (experiments, _) = await RunAsync(toy, proposer, 2, new MachineProbe(() => 1.0, "test cpu", 2));

        var (baseline, costly, kept) = (experiments[0], experiments[1], experiments[2]);
        Assert.Equal(1e6, baseline.Cost!.Params);
        Assert.Equal(1.5e6, baseline.Cost.Tokens);
        Assert.Equal(40_000, baseline.Cost.TokensPerSecond);
        Assert.True(baseline.Cost.Seconds > 0);
        Assert.Equal(ExperimentStatus.Discard, costly.Status);
        Assert.Contains("costs 2.0x params of its parent's, over [acceptance] max_cost_ratio 1.5", costly.Decision, StringComparison.Ordinal);
        Assert.Equal(ExperimentStatus.Keep, kept.Status);
        Assert.Equal("1.2x params", CostRatio.Describe(kept, experiments, CostMeasure.Params));
        Assert.Same(baseline, CostRatio.Parent(kept, experiments));
    }

    [Fact]
    public async Task Version_machine_and_load_are_recorded_and_a_busy_machine_or_slow_throughput_is_warned_about()
    {
        using var toy = CostlyToy("");
        var load = 1.0;
        var proposer = new LoadingProposer(
            new PlanProposer("sed -i 's/^X=.*/X=8/' knobs.sh", "sed -i 's/^X=.*/X=7/; s/^R=.*/R=9000/' knobs.sh"),
            seq => load = seq == 1 ? 4.0 : 1.2);

        var (experiments, messages) = await RunAsync(toy, proposer, 2, new MachineProbe(() => load, "test cpu", 2));

        var (baseline, busy, slow) = (experiments[0], experiments[1], experiments[2]);
        Assert.Equal(MachineProbe.ToolVersion, baseline.Conditions!.ToolVersion);
        Assert.Equal("test cpu", baseline.Conditions.Cpu);
        Assert.Equal(2, baseline.Conditions.Cores);
        Assert.Equal(1.0, baseline.Conditions.Load);
        Assert.Empty(baseline.Conditions.Warnings);
        Assert.Equal(4.0, busy.Conditions!.Load);
        Assert.Contains(busy.Conditions.Warnings, w => w.StartsWith("machine load 4.0 against the baseline's 1.0 (4.0x, beyond [cost] drift_factor 2)", StringComparison.Ordinal));
        Assert.Contains(slow.Conditions!.Warnings, w => w.StartsWith("throughput 9000 tokens/s against the baseline's 40000 (0.23x", StringComparison.Ordinal));
        Assert.DoesNotContain(slow.Conditions.Warnings, w => w.StartsWith("machine load", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("experiment 1: warning: machine load 4.0", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.StartsWith("experiment 2: warning: throughput 9000", StringComparison.Ordinal));
    }

    private static ToyWorkspace CostlyToy(string extraToml)
    {
        var toy = new ToyWorkspace(extraToml: extraToml);
        File.WriteAllText(Path.Combine(toy.Root, "experiment.sh"), CostlyExperiment.ReplaceLineEndings("\n") + "\n");
        File.WriteAllText(Path.Combine(toy.Root, "knobs.sh"), "X=10\nP=1.0\nR=40000\n");
        TempGitRepo.Run(toy.Root, "commit", "-qam", "a costly experiment");
        return toy;
    }

    private static async Task<(IReadOnlyList<ExperimentRecord> Experiments, List<string> Messages)> RunAsync(
        ToyWorkspace toy, IProposer proposer, int proposals, MachineProbe machine)
    {
        var workspace = await GitWorkspace.OpenAsync(toy.Root);
        var spec = SpecLoader.Load(workspace.Root);
        var messages = new Messages();
        using (var ledger = Ledger.Open(LoopHarness.LedgerPath(toy)))
        {
            var loop = new ResearchLoop(spec, workspace, ledger, proposer, new ExperimentRunner(spec, machine: machine), messages);
            await loop.RunAsync(new LoopOptions { Tag = "t1", MaxExperiments = proposals });
        }

        return (LoopHarness.Experiments(toy), messages.All);
    }

    private sealed class Messages : IResearchObserver
    {
        public List<string> All { get; } = [];

        public void OnMessage(string message)
        {
            lock (All)
            {
                All.Add(message);
            }
        }
    }

    /// <summary>Sets the machine's load for each experiment as it is proposed, then proposes as <paramref name="inner"/> does.</summary>
    private sealed class LoadingProposer(IProposer inner, Action<int> setLoad) : IProposer
    {
        public string Name => inner.Name;

        public Task<Proposal> ProposeAsync(ProposalContext context, CancellationToken cancellationToken = default)
        {
            setLoad(context.Experiment.Seq);
            return inner.ProposeAsync(context, cancellationToken);
        }
    }
}
