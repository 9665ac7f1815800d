using System.Text.RegularExpressions;

namespace AutoResearch.Core.Loop;

/// <summary>Limits and naming for one invocation of the loop. Validated once by <see cref="Validate"/>.</summary>
public sealed partial record LoopOptions
{
    /// <summary>The run's tag (branch <c>autoresearch/&lt;tag&gt;</c>); null resumes the latest unfinished run or starts one named after the date.</summary>
    public string? Tag { get; init; }

    /// <summary>Stop once the run has this many proposals (the baseline not counted, earlier sessions of the run counted); null for no limit.</summary>
    public int? MaxExperiments { get; init; }

    /// <summary>Stop starting new experiments after this long; null for no limit.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Stop after this many agent failures in a row; default 5.</summary>
    public int MaxConsecutiveAgentFailures { get; init; } = 5;

    /// <summary>How many experiments run at once, each in its own worktree (<c>--parallel</c>); default 1, at most 64.</summary>
    public int Parallel { get; init; } = 1;

    /// <summary>Every problem with these options; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Tag is not null && !TagPattern().IsMatch(Tag))
        {
            problems.Add($"--tag \"{Tag}\" must be letters, digits, '.', '_' or '-', starting with a letter or digit");
        }

        if (MaxExperiments is < 0)
        {
            problems.Add($"--max-experiments {MaxExperiments} must be 0 or more");
        }

        if (Duration is { } d && d <= TimeSpan.Zero)
        {
            problems.Add($"--hours {d.TotalHours} must be positive");
        }

        if (Parallel is < 1 or > 64)
        {
            problems.Add($"--parallel {Parallel} must be from 1 to 64");
        }

        if (MaxConsecutiveAgentFailures < 1)
        {
            problems.Add("the limit on agent failures in a row must be at least 1");
        }

        return problems;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex TagPattern();
}
