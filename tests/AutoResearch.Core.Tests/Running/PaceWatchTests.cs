using AutoResearch.Core.Running;

namespace AutoResearch.Core.Tests.Running;

public sealed class PaceWatchTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(100);

    /// <summary>Feeds progress points <paramref name="step"/> percent apart, <paramref name="secondsPerStep"/> apart, after <paramref name="startSeconds"/>; returns the progress at which the watch stopped the run, or null.</summary>
    private static double? StopsAt(double step, double secondsPerStep, double startSeconds = 0)
    {
        var watch = new PaceWatch(s_timeout);
        for (var i = 1; i * step <= 100; i++)
        {
            if (watch.Observe(i * step, TimeSpan.FromSeconds(startSeconds + (i * secondsPerStep))))
            {
                return i * step;
            }
        }

        return null;
    }

    [Fact]
    public void A_run_three_times_too_slow_is_stopped_soon_after_both_minimums()
    {
        // 1% per 3 s: 300 s against 100 s. Judged from 10% (and 10 s); stopped on the second point over.
        Assert.Equal(11, StopsAt(1, 3));
    }

    [Fact]
    public void A_run_that_ends_near_the_limit_is_left_to_the_timeout()
    {
        // 110 s against 100 s: over the limit, but within the margin; the hard timeout decides.
        Assert.Null(StopsAt(1, 1.1));
        Assert.Null(StopsAt(1, 0.9));
    }

    [Fact]
    public void Time_before_the_first_progress_line_is_not_extrapolated()
    {
        // 50 s of compiling, then 0.4 s per percent: ends at 90 s.
        Assert.Null(StopsAt(1, 0.4, startSeconds: 50));
    }

    [Fact]
    public void Progress_that_is_not_a_percentage_is_ignored()
    {
        var watch = new PaceWatch(s_timeout);
        Assert.False(watch.Observe(500, TimeSpan.FromSeconds(1)));
        Assert.False(watch.Observe(double.NaN, TimeSpan.FromSeconds(2)));
        Assert.False(watch.Observe(1000, TimeSpan.FromSeconds(90)));
        Assert.Null(watch.Reason);
    }

    [Fact]
    public void The_reason_says_where_it_stopped_and_what_it_needed()
    {
        var watch = new PaceWatch(s_timeout);
        for (var i = 1; !watch.Observe(i, TimeSpan.FromSeconds(i * 3)); i++)
        {
        }

        Assert.Contains("stopped at 11% after 33 s", watch.Reason, StringComparison.Ordinal);
        Assert.Contains("needs about 300 s, over the 100 s timeout", watch.Reason, StringComparison.Ordinal);
    }
}
