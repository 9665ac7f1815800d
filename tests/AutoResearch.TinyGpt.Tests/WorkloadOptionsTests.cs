namespace AutoResearch.TinyGpt.Tests;

public sealed class WorkloadOptionsTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars) =>
        key => vars.FirstOrDefault(v => v.Key == key).Value;

    [Fact]
    public void Defaults_are_sixty_seconds_seed_42_and_all_processors()
    {
        var o = WorkloadOptions.Parse([], Env());
        Assert.Equal(60, o.TimeBudgetSeconds);
        Assert.Null(o.TokenBudget);
        Assert.Equal(42UL, o.Seed);
        Assert.Equal(Environment.ProcessorCount, o.Threads);
        Assert.Null(o.DataPath);
    }

    [Fact]
    public void Environment_sets_budget_seed_threads_and_data()
    {
        var o = WorkloadOptions.Parse([], Env(("AUTORESEARCH_TIME_BUDGET", "12.5"), ("AUTORESEARCH_TOKEN_BUDGET", "4096"),
            ("AUTORESEARCH_SEED", "7"), ("AUTORESEARCH_THREADS", "1"), ("AUTORESEARCH_DATA", "/d.txt")));
        Assert.Equal(12.5, o.TimeBudgetSeconds);
        Assert.Equal(4096, o.TokenBudget);
        Assert.Equal(7UL, o.Seed);
        Assert.Equal(1, o.Threads);
        Assert.Equal("/d.txt", o.DataPath);
    }

    [Fact]
    public void Command_line_data_wins_over_the_environment()
    {
        var o = WorkloadOptions.Parse(["--data", "/flag.txt"], Env(("AUTORESEARCH_DATA", "/env.txt")));
        Assert.Equal("/flag.txt", o.DataPath);
    }

    [Fact]
    public void All_bad_values_are_reported_together()
    {
        var ex = Assert.Throws<WorkloadException>(() => WorkloadOptions.Parse(["--bogus"],
            Env(("AUTORESEARCH_TIME_BUDGET", "soon"), ("AUTORESEARCH_THREADS", "0"))));
        Assert.Contains("--bogus", ex.Message, StringComparison.Ordinal);
        Assert.Contains("time budget 'soon'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("thread count '0'", ex.Message, StringComparison.Ordinal);
    }
}
