using AutoResearch.Swarm.Coordinator;
using AutoResearch.Swarm.Simulator;

namespace AutoResearch.Swarm.Tests;

/// <summary>The scaling study's arithmetic, its end-to-end run (CI-sized), and the pieces merging rests on.</summary>
public sealed class ScalingTests
{
    private static SimulationReport Report(double baseLoss, double headLoss, params (double Seconds, double Loss)[] series) =>
        new(series.Length, baseLoss, headLoss, 0, 0, 0, 0, [], [], default, [], default) { Series = series, Seconds = 60 };

    [Fact]
    public void Speed_up_is_the_lone_workers_time_to_its_final_loss_over_each_swarms()
    {
        var alone = Report(4, 2, (10, 3), (40, 2));
        var fast = Report(4, 1, (2, 2.5), (5, 2), (9, 1));
        var slow = Report(4, 2.5, (30, 2.5));

        var rows = ScalingStudy.Rows([(1, alone), (16, fast), (64, slow)]);

        Assert.Equal(40, rows[0].TimeToTarget);
        Assert.Equal(1, rows[0].SpeedUp);
        Assert.Equal(5, rows[1].TimeToTarget);
        Assert.Equal(8, rows[1].SpeedUp);
        Assert.Null(rows[2].TimeToTarget);
        Assert.Null(rows[2].SpeedUp);
        Assert.Contains("| 64 | 1 | 2.500000 | not reached | - |", ScalingStudy.Table(rows), StringComparison.Ordinal);
    }

    [Fact]
    public void A_study_must_start_with_one_worker_alone()
    {
        var problems = new ScalingOptions { Workers = [4, 16] }.Validate();

        Assert.Contains(problems, p => p.Contains("must start with 1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_ci_sized_study_writes_its_table_and_plot_and_accepts_no_fraud()
    {
        var folder = Path.Combine(Path.GetTempPath(), "autoresearch-swarm-tests", Guid.NewGuid().ToString("N")[..12]);
        using var output = new StringWriter();
        try
        {
            var options = new ScalingOptions
            {
                Workers = [1, 4],
                Output = folder,
                Simulation = new SimulationOptions { Duration = TimeSpan.FromSeconds(6), RunTime = TimeSpan.FromMilliseconds(20), Knobs = 16 },
            };

            var rows = await new ScalingStudy(options, output).RunAsync();

            Assert.Equal([1, 4], rows.Select(r => r.Workers));
            Assert.All(rows, r => Assert.Equal(0, r.Report.FraudulentAccepted));
            Assert.True(rows[0].Report.ChainLength > 0, output.ToString());
            Assert.Equal(0, rows[0].Report.VerifyRuns);
            Assert.True(rows[1].Report.VerifyRuns > 0, output.ToString());
            var table = await File.ReadAllTextAsync(Path.Combine(folder, "scaling.md"));
            Assert.Contains("| 1 | ", table, StringComparison.Ordinal);
            Assert.Contains("| 4 | ", table, StringComparison.Ordinal);
            var png = await File.ReadAllBytesAsync(Path.Combine(folder, "scaling.png"));
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public void Zero_context_hunks_of_several_lines_apply_as_git_writes_them()
    {
        var text = SyntheticObjective.BaseText;
        var merged = "diff --git a/params.txt b/params.txt\n--- a/params.txt\n+++ b/params.txt\n"
            + "@@ -2,2 +2,2 @@\n-k1 = 0.000000\n-k2 = 0.000000\n+k1 = 0.100000\n+k2 = 0.200000\n"
            + "@@ -6 +6 @@\n-k5 = 0.000000\n+k5 = 0.500000\n";

        var applied = SyntheticObjective.Parse(SyntheticObjective.Apply(text, merged)!);

        Assert.Equal([0, 0.1, 0.2, 0, 0, 0.5, 0, 0], applied);
        Assert.Null(SyntheticObjective.Apply(SyntheticObjective.Apply(text, merged)!, merged));
    }

    [Fact]
    public void Patch_ranges_are_read_per_file_and_patches_git_must_read_have_none()
    {
        var two = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -3,2 +3,3 @@ def f():\n-x\n-y\n+x\n+y\n+z\n"
            + "diff --git a/b.py b/b.py\n--- a/b.py\n+++ b/b.py\n@@ -10,0 +11 @@\n+new\n";
        var created = "diff --git a/c.py b/c.py\nnew file mode 100644\n--- /dev/null\n+++ b/c.py\n@@ -0,0 +1 @@\n+x\n";

        Assert.Equal([("a.py", 3, 4), ("b.py", 10, 11)], PatchRanges.Of(two));
        Assert.Empty(PatchRanges.Of(created));
        Assert.Empty(PatchRanges.Of("not a patch"));
    }

    [Fact]
    public void The_lease_mix_counts_only_the_latest_window()
    {
        var mix = new LeaseMix();
        mix.Add(verify: true);
        Assert.Equal(1, mix.VerifyShare);

        for (var i = 0; i < LeaseMix.Window; i++)
        {
            mix.Add(verify: false);
        }

        Assert.Equal(0, mix.VerifyShare);
    }

    [Fact]
    public void Every_run_gets_the_projects_token_budget_over_the_workers_own()
    {
        var project = new Protocol.Messages.ProjectInfo("p", "val_bpb", "minimize", ["train.cs"], "abc", 250_000, 0.02, 2, 65536);
        var own = new Dictionary<string, string?> { ["AUTORESEARCH_LIB"] = "/lib", [Worker.RunEnvironment.TokenBudget] = "9" };

        var variables = Worker.RunEnvironment.For(project, own);
        var none = Worker.RunEnvironment.For(project with { TokenBudget = null }, new Dictionary<string, string?>());

        Assert.Equal("250000", variables[Worker.RunEnvironment.TokenBudget]);
        Assert.Equal("/lib", variables["AUTORESEARCH_LIB"]);
        Assert.Empty(none);
    }
}
