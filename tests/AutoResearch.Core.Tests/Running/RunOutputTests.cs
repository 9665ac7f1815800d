using System.Text.RegularExpressions;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Tests.Running;

public sealed class RunOutputTests
{
    private static readonly ObjectiveSpec s_objective = new("val_bpb", Direction.Minimize, ObjectiveSpec.DefaultPattern("val_bpb"));

    [Fact]
    public void Last_metric_line_wins_and_the_summary_block_is_kept()
    {
        const string log = """
            step 1
            val_bpb: 9.0
            progress: 10% loss: 3.5
            progress: 55.5% loss: 2.25
            ---
            val_bpb:          1.234567
            training_seconds: 60.0
            peak_vram_mb:     1024.5
            note: text is ignored
            """;

        var output = RunOutput.Parse(log, s_objective, RunSpec.DefaultProgress);

        Assert.Equal(1.234567, output.Metric);
        Assert.Equal(60.0, output.Metrics["training_seconds"]);
        Assert.Equal(1024.5, output.Metrics["peak_vram_mb"]);
        Assert.False(output.Metrics.ContainsKey("note"));
        Assert.Equal([new CurvePoint(10, 3.5), new CurvePoint(55.5, 2.25)], output.Curve);
    }

    [Fact]
    public void Missing_metric_is_null_and_nan_is_reported_as_nan()
    {
        Assert.Null(RunOutput.Parse("nothing here\nval_bpb_other: 1\n", s_objective, RunSpec.DefaultProgress).Metric);
        Assert.True(double.IsNaN(RunOutput.Parse("val_bpb: nan\n", s_objective, RunSpec.DefaultProgress).Metric!.Value));
        Assert.True(double.IsPositiveInfinity(RunOutput.Parse("val_bpb: inf\n", s_objective, RunSpec.DefaultProgress).Metric!.Value));
        Assert.Equal(-2.5e-3, RunOutput.Parse("val_bpb: -2.5e-3\r\n", s_objective, RunSpec.DefaultProgress).Metric);
    }

    [Fact]
    public void Custom_patterns_read_metric_and_progress()
    {
        var objective = new ObjectiveSpec("acc", Direction.Maximize, new Regex(@"accuracy=(?<value>\d+\.\d+)"));
        var progress = new Regex(@"epoch (?<progress>\d+)/10 .* loss (?<value>[\d.]+)", RegexOptions.Multiline);

        var output = RunOutput.Parse("epoch 5/10 ... loss 0.7\naccuracy=0.91\naccuracy=0.93\n", objective, progress);

        Assert.Equal(0.93, output.Metric);
        Assert.Equal([new CurvePoint(5, 0.7)], output.Curve);
    }
}
