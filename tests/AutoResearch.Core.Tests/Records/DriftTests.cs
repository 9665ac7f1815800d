using AutoResearch.Core.Records;

namespace AutoResearch.Core.Tests.Records;

public sealed class DriftTests
{
    [Fact]
    public void A_machine_busier_than_its_cores_allow_is_warned_about_even_for_the_baseline()
    {
        var busy = Drift.Warnings(null, null, new RunConditions { Cores = 2, Load = 10.95 }, 2);
        var quiet = Drift.Warnings(null, null, new RunConditions { Cores = 2, Load = 2.1 }, 2);

        Assert.StartsWith("machine load 10.95 on 2 cores (over [cost] drift_factor 2 x the cores)", Assert.Single(busy), StringComparison.Ordinal);
        Assert.Empty(quiet);
    }

    [Fact]
    public void Loads_below_one_count_as_one_so_a_lagging_average_is_not_a_drift()
    {
        var baseline = new ExperimentRecord
        {
            Tag = "t",
            Seq = 0,
            Phase = ExperimentPhase.Done,
            ParentCommit = "abc",
            Proposer = "baseline",
            StartedAt = DateTimeOffset.UnixEpoch,
            Seed = 42,
            Conditions = new RunConditions { Cores = 4, Load = 0.1 },
        };

        Assert.Empty(Drift.Warnings(baseline, null, new RunConditions { Cores = 4, Load = 1.9 }, 2));
        Assert.Single(Drift.Warnings(baseline, null, new RunConditions { Cores = 4, Load = 2.1 }, 2));
    }
}
