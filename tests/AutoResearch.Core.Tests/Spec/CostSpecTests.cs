using AutoResearch.Core;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Tests.Spec;

public sealed class CostSpecTests
{
    private const string Base = AcceptanceSpecTests.Base;

    [Fact]
    public void Cost_limits_are_off_by_default_and_read_typed()
    {
        var defaults = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base);
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base + """

            [acceptance]
            max_cost_ratio = 1.5
            [cost]
            measure = "iterations"
            drift_factor = 3
            search_weight = 0.01
            iterations = 'iter (?<value>\d+):'
            params = 'number of parameters: (?<value>[0-9.]+)(?<unit>M)'
            [report]
            progress_png = false
            """);

        Assert.Null(defaults.Acceptance.MaxCostRatio);
        Assert.Equal(CostMeasure.Time, defaults.Cost.Measure);
        Assert.Equal(2, defaults.Cost.DriftFactor);
        Assert.Equal(0, defaults.Cost.SearchWeight);
        Assert.True(defaults.Report.ProgressPng);
        Assert.Equal(1.5, spec.Acceptance.MaxCostRatio);
        Assert.Equal(CostMeasure.Iterations, spec.Cost.Measure);
        Assert.Equal(3, spec.Cost.DriftFactor);
        Assert.Equal(0.01, spec.Cost.SearchWeight);
        Assert.False(spec.Report.ProgressPng);
    }

    [Fact]
    public void Every_bad_cost_setting_is_reported_together_naming_its_key()
    {
        var e = Assert.Throws<SpecException>(() => SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base + """

            [acceptance]
            max_cost_ratio = 0.5
            [cost]
            measure = "flops"
            drift_factor = 1
            tokens = 'no group'
            bogus = 1
            [report]
            progress_png = "yes"
            """));

        Assert.Contains(e.Problems, p => p.StartsWith("[acceptance] max_cost_ratio = 0.5", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("[cost] measure", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("[cost] drift_factor = 1", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("[cost] tokens needs named group(s) (?<value>...)", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("unknown key [cost] bogus", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.StartsWith("[report] progress_png", StringComparison.Ordinal));
    }

    [Fact]
    public void Cost_is_read_from_nanogpt_style_lines_by_the_spec_s_patterns_with_their_units()
    {
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base + """

            [cost]
            iterations = 'iter (?<value>\d+):'
            params = 'number of parameters: (?<value>[0-9.]+)(?<unit>M)'
            """);
        const string log = "number of parameters: 10.65M\niter 0: loss 4.2\niter 250: loss 2.1\nloss: 2.1\n";

        var cost = CostReader.Read(log, RunOutput.Parse(log, spec.Objective, spec.Run.Progress), spec.Cost, 12.5, 300);

        Assert.Equal(250, cost.Iterations);
        Assert.Equal(10.65e6, cost.Params!.Value, 3);
        Assert.Equal(12.5, cost.Seconds);
        Assert.Equal(300, cost.MemoryMb);
        Assert.Null(cost.Tokens);
    }

    [Fact]
    public void A_printed_number_that_overflows_when_scaled_is_dropped_never_stored_as_infinity()
    {
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base + """

            [cost]
            params = 'number of parameters: (?<value>[0-9.e+]+)(?<unit>B)'
            """);
        const string log = "number of parameters: 1e305B\n---\ntotal_tokens_M: 1e303\nloss: 2.1\n";

        var cost = CostReader.Read(log, RunOutput.Parse(log, spec.Objective, spec.Run.Progress), spec.Cost, 12.5, 300);
        var mean = ExperimentCost.Add(new ExperimentCost { Seconds = double.MaxValue }, new ExperimentCost { Seconds = double.MaxValue });

        Assert.Null(cost.Params);
        Assert.Null(cost.Tokens);
        Assert.Equal(12.5, cost.Seconds);
        Assert.Equal(double.MaxValue, mean.Seconds);
    }

    [Fact]
    public void Cost_weighted_search_objective_penalises_cost_against_the_baseline()
    {
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base + "\n[cost]\nsearch_weight = 0.01\n");
        var off = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base);
        var baseline = Experiment(0, 60);
        var doubled = Experiment(1, 120);

        Assert.Equal(0.01 * Math.Log(2), CostObjective.Penalty(spec, doubled, [baseline, doubled]), 12);
        Assert.Equal(0, CostObjective.Penalty(spec, baseline, [baseline, doubled]), 12);
        Assert.Equal(0, CostObjective.Penalty(off, doubled, [baseline, doubled]));
        Assert.Equal(0, CostObjective.Penalty(spec, doubled with { Cost = null }, [baseline, doubled]));
    }

    private static ExperimentRecord Experiment(int seq, double seconds) => new()
    {
        Tag = "t",
        Seq = seq,
        Phase = ExperimentPhase.Done,
        Status = ExperimentStatus.Keep,
        ParentCommit = "abc",
        Proposer = "search",
        StartedAt = DateTimeOffset.UnixEpoch,
        Seed = 42,
        Cost = new ExperimentCost { Seconds = seconds },
    };
}
