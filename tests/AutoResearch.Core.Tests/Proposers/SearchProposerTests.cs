using AutoResearch.Core.Proposers.Search;
using AutoResearch.Core.Records;
using AutoResearch.Core.Tests.Loop;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Proposers;

public sealed class SearchProposerTests
{
    private const string Spec = """
        [objective]
        metric = "score"
        direction = "minimize"
        [run]
        command = "python3 train.py"
        [scope]
        editable = ["train.py"]
        """;

    private const string Train = """
        LEARNING_RATE = 0.001  # the step
        WIDTH = 64
        NOTE = "keep me"
        print("---")
        print(f"score: {abs(LEARNING_RATE - 0.0037) * 1000 + abs(WIDTH - 128) / 64:.6f}")
        """;

    [Fact]
    public async Task Search_lowers_the_score_and_its_diffs_touch_only_literals()
    {
        using var toy = new ToyWorkspace();
        toy.Repo.Write("autoresearch.toml", Spec);
        toy.Repo.Write("train.py", Train);
        toy.Repo.Git("add", "-A");
        toy.Repo.Git("commit", "-qm", "python workspace");

        var summary = await LoopHarness.RunAsync(toy, maxExperiments: 12, proposer: new SearchProposer());

        Assert.True(summary.Best.Metric < summary.Baseline.Metric);
        var proposals = summary.Experiments.Where(e => !e.IsBaseline).ToList();
        Assert.All(proposals, e => Assert.Equal("search", e.Proposer));
        Assert.Equal(proposals.Count, proposals.Select(e => e.Description).Distinct().Count());
        foreach (var e in proposals)
        {
            var changed = e.Patch!.Split('\n').Where(l => l.StartsWith('+') || l.StartsWith('-')).Where(l => !l.StartsWith("+++") && !l.StartsWith("---")).ToList();
            Assert.All(changed, l => Assert.Matches(@"^[+-](LEARNING_RATE = [0-9.e-]+  # the step|WIDTH = [0-9]+)$", l));
        }
    }

    [Fact]
    public async Task Same_seed_gives_the_same_proposals_after_a_restart()
    {
        async Task<string[]> DescriptionsAsync()
        {
            using var toy = new ToyWorkspace();
            toy.Repo.Write("autoresearch.toml", Spec);
            toy.Repo.Write("train.py", Train);
            toy.Repo.Git("add", "-A");
            toy.Repo.Git("commit", "-qm", "python workspace");
            await LoopHarness.RunAsync(toy, maxExperiments: 3, proposer: new SearchProposer());
            // A restart picks the search up from the ledger.
            var summary = await LoopHarness.RunAsync(toy, maxExperiments: 6, proposer: new SearchProposer());
            return summary.Experiments.Select(e => e.Description ?? "").ToArray();
        }

        Assert.Equal(await DescriptionsAsync(), await DescriptionsAsync());
    }

    [Fact]
    public async Task Workspace_without_knobs_stops_with_advice()
    {
        using var toy = new ToyWorkspace();
        toy.Repo.Write("knobs.sh", "# nothing tunable\nMODE=ok\nHANG=0\nX=0\n");
        toy.Repo.Git("commit", "-qam", "no knobs");

        var error = await Assert.ThrowsAsync<ResearchException>(() => LoopHarness.RunAsync(toy, 2, proposer: new SearchProposer()));

        Assert.Contains("no tunable constants in knobs.sh", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Step_widens_after_keeps_and_narrows_after_failures()
    {
        ExperimentRecord Done(ExperimentStatus status) => new()
        {
            Tag = "t",
            Seq = 1,
            Phase = ExperimentPhase.Done,
            Status = status,
            ParentCommit = "p",
            Proposer = "search",
            StartedAt = DateTimeOffset.UnixEpoch,
            Seed = 1,
        };

        Assert.True(SearchProposer.Step([Done(ExperimentStatus.Keep)]) > SearchProposer.Step([]));
        Assert.True(SearchProposer.Step([Done(ExperimentStatus.Discard), Done(ExperimentStatus.Crash)]) < SearchProposer.Step([]));
    }
}
