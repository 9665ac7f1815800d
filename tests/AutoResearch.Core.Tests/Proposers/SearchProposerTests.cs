using AutoResearch.Core.Loop;
using AutoResearch.Core.Proposers.Search;
using AutoResearch.Core.Proposers.Search.Edits;
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
    public async Task A_restart_resumes_the_same_search_from_the_ledger()
    {
        async Task<string[]> DescriptionsAsync(int[] sessions)
        {
            using var toy = new ToyWorkspace();
            toy.Repo.Write("autoresearch.toml", Spec);
            toy.Repo.Write("train.py", Train);
            toy.Repo.Git("add", "-A");
            toy.Repo.Git("commit", "-qm", "python workspace");
            RunSummary? summary = null;
            foreach (var maxExperiments in sessions)
            {
                // A fresh proposer each session: all it knows is what the ledger and the commits say.
                summary = await LoopHarness.RunAsync(toy, maxExperiments, proposer: new SearchProposer());
            }

            return summary!.Experiments.Select(e => e.Description ?? "").ToArray();
        }

        // Past the 10-point design, so the model's suggestions are replayed too.
        var straight = await DescriptionsAsync([13]);
        var resumed = await DescriptionsAsync([4, 11, 13]);

        Assert.Equal(14, straight.Length);
        Assert.Equal(straight, resumed);
    }

    [Fact]
    public async Task Early_proposals_change_one_or_two_knobs_of_a_lowercase_config_in_place()
    {
        using var toy = new ToyWorkspace();
        toy.Repo.Write("autoresearch.toml", Spec.Replace("train.py\"]", "config.py\"]", StringComparison.Ordinal));
        toy.Repo.Write("config.py", """
            # nanoGPT-style config, executed by train.py
            learning_rate = 1e-3 # peak
            n_layer = 4
            batch_size = 16
            beta1 = 0.9
            dropout_p = 0.2
            seed = 1337
            """);
        toy.Repo.Write("train.py", """
            exec(open("config.py").read())
            loss = abs(learning_rate - 0.003) * 100 + abs(n_layer - 6) + abs(batch_size - 32) / 16 + abs(beta1 - 0.95) * 10 + dropout_p
            print("---")
            print(f"score: {loss:.6f}")
            """);
        toy.Repo.Git("add", "-A");
        toy.Repo.Git("commit", "-qm", "config workspace");

        var summary = await LoopHarness.RunAsync(toy, maxExperiments: 6, proposer: new SearchProposer());

        var moves = summary.Experiments.Where(e => !e.IsBaseline).Select(e => e.Description!.Split(" -> ").Length - 1).ToList();
        Assert.Equal(6, moves.Count);
        Assert.Equal(1, moves[0]);
        Assert.All(moves, m => Assert.InRange(m, 1, 2));
        Assert.All(summary.Experiments.Where(e => !e.IsBaseline), e => Assert.DoesNotContain("seed", e.Description!, StringComparison.Ordinal));
        Assert.All(summary.Experiments.Where(e => !e.IsBaseline), e =>
            Assert.All(e.Patch!.Split('\n').Where(l => l.StartsWith('+') && !l.StartsWith("+++")),
                l => Assert.Matches(@"^\+(learning_rate = [0-9.e-]+ # peak|n_layer = [0-9]+|batch_size = [0-9]+|beta1 = 0\.[0-9]+|dropout_p = [0-9.]+)$", l)));
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

    private const string Capped = """
        import math

        LEARNING_RATE = 0.001  # the step


        class torch:  # the one function of PyTorch the softcap edit calls
            tanh = staticmethod(math.tanh)


        class Model:
            def lm_head(self, x):
                return x

            def forward(self, x):
                logits = self.lm_head(x)
                return logits


        logits = Model().forward(100.0)  # 100 as it is, about 30 soft-capped
        print("---")
        print(f"score: {abs(LEARNING_RATE - 0.0037) * 1000 + logits / 10:.6f}")
        """;

    [Fact]
    public async Task A_code_edit_is_searched_with_the_knobs_kept_when_it_wins_and_never_undone()
    {
        using var toy = new ToyWorkspace();
        toy.Repo.Write("autoresearch.toml", Spec);
        toy.Repo.Write("train.py", Capped);
        toy.Repo.Git("add", "-A");
        toy.Repo.Git("commit", "-qm", "python workspace with a head");

        var summary = await LoopHarness.RunAsync(toy, maxExperiments: 8, proposer: new SearchProposer());

        var proposals = summary.Experiments.Where(e => !e.IsBaseline).ToList();
        var edit = Assert.Single(proposals, e => e.Description!.StartsWith("edit softcap: soft-cap the logits at 30", StringComparison.Ordinal));
        Assert.Equal(ExperimentStatus.Keep, edit.Status);
        Assert.Contains("+        logits = 30 * torch.tanh(logits / 30)  # search: softcap", edit.Patch, StringComparison.Ordinal);
        Assert.True(summary.Best.Metric < 12);
        // Once kept, the edit stays: no later patch takes the line out again.
        Assert.All(proposals.Where(e => e.Seq > edit.Seq), e => Assert.DoesNotContain("-        logits = 30 * torch.tanh", e.Patch ?? "", StringComparison.Ordinal));
        Assert.Contains("search: softcap", toy.Repo.Git("show", $"{summary.Best.CandidateCommit}:train.py"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Code_edits_can_be_turned_off_or_listed_by_name()
    {
        using var toy = new ToyWorkspace();
        toy.Repo.Write("autoresearch.toml", Spec + "\n[search]\nedits = false\n");
        toy.Repo.Write("train.py", Capped);
        toy.Repo.Git("add", "-A");
        toy.Repo.Git("commit", "-qm", "python workspace with a head, edits off");

        var summary = await LoopHarness.RunAsync(toy, maxExperiments: 4, proposer: new SearchProposer());

        Assert.All(summary.Experiments.Where(e => !e.IsBaseline), e => Assert.DoesNotContain("edit ", e.Description, StringComparison.Ordinal));
        var listed = new SearchSettings(new Dictionary<string, object> { ["edits"] = new List<object> { "softcap" } }, "autoresearch.toml");
        Assert.True(listed.AllowsEdit("softcap"));
        Assert.False(listed.AllowsEdit("relu2"));
        Assert.False(new SearchSettings(new Dictionary<string, object> { ["edits"] = false }, "autoresearch.toml").AllowsEdit("softcap"));
        Assert.True(new SearchSettings(null, "autoresearch.toml").AllowsEdit("softcap"));
        var error = Assert.Throws<SpecException>(() => new SearchSettings(new Dictionary<string, object> { ["edits"] = new List<object> { "softcap", "swiglu" } }, "autoresearch.toml"));
        Assert.Contains("no code edit is called \"swiglu\" (known: relu2, rmsnorm, qk-norm, softcap", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_edit_whose_anchor_is_gone_from_the_best_is_skipped_with_the_reason()
    {
        var texts = new Dictionary<string, string> { ["train.py"] = "x = 1\n", ["model.py"] = "logits = self.lm_head(h)\n" };
        var (edited, notes) = SearchProposer.ApplyEdits([(new LogitSoftcapEdit(), "train.py"), (new LogitSoftcapEdit(), "model.py")], texts);

        Assert.Equal(["edit softcap skipped: no `logits = self.lm_head(...)` line", "edit softcap: soft-cap the logits at 30"], notes);
        Assert.Equal("x = 1\n", edited["train.py"]);
        Assert.Contains("search: softcap", edited["model.py"], StringComparison.Ordinal);
    }

    [Fact]
    public void A_knob_moved_in_the_same_proposal_as_an_edit_that_shifted_its_line_is_found_again()
    {
        // relu2 inserts a module after the imports, above the constants: the literal's offset moves, its line does not.
        const string before = "import torch\nimport torch.nn as nn\n\nLR = 0.001\nWIDTH = 64\nact = nn.GELU()\nLR2 = 0.001\n";
        var knobs = KnobScanner.Scan("train.py", before);
        var after = new ReluSquaredEdit().Apply("train.py", before).Text!;

        foreach (var knob in knobs)
        {
            var at = SearchProposer.Relocate(before, after, knob);
            Assert.Equal(knob.Literal, after.Substring(at, knob.Length));
            Assert.Equal(before[..knob.Start].Split('\n')[^1], after[..at].Split('\n')[^1]); // same line prefix
        }

        var width = knobs.Single(k => k.Name == "WIDTH");
        Assert.Equal(after.IndexOf("WIDTH = 64", StringComparison.Ordinal) + "WIDTH = ".Length, SearchProposer.Relocate(before, after, width));
        var broken = after.Replace("WIDTH = 64", "WIDTH = 65", StringComparison.Ordinal);
        Assert.Throws<ResearchException>(() => SearchProposer.Relocate(before, broken, width));
    }
}
