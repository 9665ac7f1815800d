using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Tests.Spec;

public sealed class AcceptanceSpecTests
{
    /// <summary>The smallest valid spec; the cost tests extend it too.</summary>
    internal const string Base = """
        [objective]
        metric = "loss"
        direction = "minimize"
        [run]
        command = "true"
        [scope]
        editable = ["a.py"]
        """;

    [Fact]
    public void Acceptance_and_early_stop_sections_are_read_typed()
    {
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base + """

            [acceptance]
            baseline_repeats = 3
            min_delta = 0.001
            z = 2.5
            confirm = false
            confirm_runs = 2
            simplicity = false
            sigma = 0.01

            [early_stop]
            enabled = true
            min_fraction = 0.4
            z = 4
            min_delta = 0.05
            min_points = 3
            """);

        Assert.Equal(new AcceptanceSpec { BaselineRepeats = 3, MinDelta = 0.001, Z = 2.5, Confirm = false, ConfirmRuns = 2, Simplicity = false, Sigma = 0.01 }, spec.Acceptance);
        Assert.Equal(new EarlyStopSpec { Enabled = true, MinFraction = 0.4, Z = 4, MinDelta = 0.05, MinPoints = 3 }, spec.EarlyStop);
        Assert.Equal(0.025, spec.Acceptance.Threshold(0.01), 12);
    }

    [Fact]
    public void Defaults_are_one_baseline_run_z_2_and_early_stop_off()
    {
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base);

        Assert.Equal(1, spec.Acceptance.BaselineRepeats);
        Assert.Equal(2, spec.Acceptance.Z);
        Assert.True(spec.Acceptance.Confirm);
        Assert.True(spec.Acceptance.Simplicity);
        Assert.False(spec.EarlyStop.Enabled);
        Assert.Equal(0.3, spec.EarlyStop.MinFraction);
        Assert.Empty(spec.Run.Gpus);
    }

    [Fact]
    public void Every_bad_value_is_reported_together_naming_its_key()
    {
        var error = Assert.Throws<SpecException>(() => SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base.Replace("command = \"true\"", "command = \"true\"\ngpus = \"all\"", StringComparison.Ordinal) + """

            [acceptance]
            baseline_repeats = 0
            min_delta = -1
            z = "two"
            confirm = 1
            repeats = 3

            [early_stop]
            enabled = "yes"
            min_fraction = 1.5
            """));

        Assert.Equal(8, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.StartsWith("[acceptance] baseline_repeats = 0", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("[acceptance] min_delta = -1", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("[acceptance] z = \"two\"", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("[acceptance] confirm = 1 must be true or false", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("unknown key [acceptance] repeats", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("[early_stop] enabled = \"yes\"", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("[early_stop] min_fraction = 1.5 must be a number between 0 and 1", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("[run] gpus = \"all\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Gpus_are_a_count_or_a_list_of_ids()
    {
        Assert.Equal(["0", "1"], SpecLoader.FromToml("/w", "/w/a.toml", Base.Replace("command = \"true\"", "command = \"true\"\ngpus = 2", StringComparison.Ordinal)).Run.Gpus);
        Assert.Equal(["3", "5"], SpecLoader.FromToml("/w", "/w/a.toml", Base.Replace("command = \"true\"", "command = \"true\"\ngpus = [3, 5]", StringComparison.Ordinal)).Run.Gpus);
    }
}
