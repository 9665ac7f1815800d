using AutoResearch.Cli.Tests.Support;
using AutoResearch.Tests.Support;

namespace AutoResearch.Cli.Tests;

/// <summary>What the search proposer finds, shown by <c>status</c> and checked by <c>run</c> before the baseline.</summary>
public sealed class SearchKnobsCommandTests
{
    [Fact]
    public async Task Run_with_no_knob_for_the_search_exits_2_before_the_baseline()
    {
        using var repo = Workspace("MODE=ok\nHANG=0\n", "", out var marker);

        var (code, output) = await CliRunner.RunAsync("run", repo.Root, "--max-experiments", "1", "--plain");

        Assert.Equal(2, code);
        Assert.Contains("no tunable constants in knobs.sh", output, StringComparison.Ordinal);
        Assert.Contains("argparse", output, StringComparison.Ordinal);
        Assert.Contains("HANG", output, StringComparison.Ordinal);
        // No baseline ran (the run command would have left its marker) and no run was opened.
        Assert.False(File.Exists(marker));
        Assert.Equal("", repo.Git("branch", "--list", "autoresearch/*").Trim());
    }

    [Fact]
    public async Task Run_refuses_a_knob_override_that_matches_nothing_naming_it_and_the_knobs_found()
    {
        using var repo = Workspace("learning_rate=0.01\nwidth=64\n", "[search.knobs]\nlearning_rat = { range = [1e-4, 1e-1] }\n", out var marker);

        var (code, output) = await CliRunner.RunAsync("run", repo.Root, "--max-experiments", "1", "--plain");

        Assert.Equal(2, code);
        Assert.Contains("learning_rat matches no knob", output, StringComparison.Ordinal);
        Assert.Contains("found: learning_rate, width", output, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task Status_lists_each_knob_with_its_space_and_where_it_was_found()
    {
        using var repo = Workspace("# knobs\nexport learning_rate=0.01\nbeta1=0.9\nSEED=3\n", "", out _);

        var (code, output) = await CliRunner.RunAsync("status", repo.Root);

        Assert.Equal(0, code);
        Assert.Contains("2 searched of 3 found in knobs.sh", output, StringComparison.Ordinal);
        Assert.Matches(@"learning_rate\s*│ knobs\.sh:2\s*│ shell\s*│ 0\.01\s*│ float 0\.001\.\.0\.1, log scale", output);
        Assert.Matches(@"beta1\s*│ knobs\.sh:3 .*decay rate 0\.5\.\.0\.99, searched as 1 - value on a log scale", output);
        Assert.Matches(@"SEED\s*│ knobs\.sh:4 .*frozen: not research: a random seed", output);
    }

    [Fact]
    public async Task Status_notes_a_knob_found_in_several_editable_files()
    {
        using var repo = Workspace("lr=0.01\nwidth=64\n", "", out _);
        repo.Write("more.sh", "lr=0.02\n");
        repo.Write("autoresearch.toml", repo.Read("autoresearch.toml").Replace("[\"knobs.sh\"]", "[\"*.sh\"]", StringComparison.Ordinal));
        repo.Git("add", "-A");
        repo.Git("commit", "-qm", "two files");

        var (code, output) = await CliRunner.RunAsync("status", repo.Root);

        Assert.Equal(0, code);
        Assert.Contains("3 searched of 3 found in knobs.sh, more.sh", output, StringComparison.Ordinal);
        Assert.Contains("note: lr (knobs.sh, more.sh) appear in more than one editable file", output, StringComparison.Ordinal);
        Assert.DoesNotContain("width (", output, StringComparison.Ordinal);
    }

    /// <summary>A committed workspace whose only editable file is knobs.sh; its run command leaves <paramref name="marker"/>.</summary>
    private static TempGitRepo Workspace(string knobs, string extraToml, out string marker)
    {
        marker = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "baseline-ran-" + Guid.NewGuid().ToString("N")[..12]);
        return new TempGitRepo(new Dictionary<string, string>
        {
            ["autoresearch.toml"] = $"""
                [objective]
                metric = "score"
                direction = "minimize"

                [run]
                command = "touch {marker}; echo score: 1"
                timeout_seconds = 30

                [scope]
                editable = ["knobs.sh"]
                {extraToml}
                """,
            ["knobs.sh"] = knobs,
        });
    }
}
