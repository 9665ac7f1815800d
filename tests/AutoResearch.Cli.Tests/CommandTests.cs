using AutoResearch.Cli.Tests.Support;
using AutoResearch.Tests.Support;

namespace AutoResearch.Cli.Tests;

public sealed class CommandTests
{
    [Fact]
    public async Task Init_makes_a_committed_workspace_that_runs_and_reports()
    {
        var dir = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "init-" + Guid.NewGuid().ToString("N")[..8]);
        using var toy = new ToyWorkspace();
        toy.Plan("sed -i 's/^X=.*/X=3.5/' knobs.sh; echo 'X closer'", "sed -i 's/^X=.*/X=-9/' knobs.sh; echo 'X far'");
        try
        {
            var (initCode, initOutput) = await CliRunner.RunAsync("init", dir, "--template", "empty");
            Assert.Equal(0, initCode);
            Assert.Contains("autoresearch.toml", initOutput, StringComparison.Ordinal);
            Assert.Equal("", TempGitRepo.Run(dir, "status", "--porcelain"));
            // The scripted agent runs in its sandbox and keeps its plan and counter in a folder outside the workspace.
            File.AppendAllText(Path.Combine(dir, "autoresearch.toml"), $"\n[agent]\nwritable = [\"{toy.Scratch}\"]\n");
            TempGitRepo.Run(dir, "commit", "-qam", "the agent's scratch");

            var (runCode, runOutput) = await CliRunner.RunAsync("run", dir, "--agent", "cli", "--agent-command", toy.AgentCommand, "--max-experiments", "2", "--tag", "a");
            Assert.Equal(0, runCode);
            Assert.Contains("reached --max-experiments 2", runOutput, StringComparison.Ordinal);

            var (_, log) = await CliRunner.RunAsync("log", dir);
            Assert.Contains("X closer", log, StringComparison.Ordinal);
            Assert.Contains("discard", log, StringComparison.Ordinal);

            var (_, status) = await CliRunner.RunAsync("status", dir);
            Assert.Contains("knobs.sh", status, StringComparison.Ordinal);
            Assert.Contains("finished", status, StringComparison.Ordinal);

            var (showCode, show) = await CliRunner.RunAsync("show", "2", dir);
            Assert.Equal(0, showCode);
            Assert.Contains("+X=3.5", show, StringComparison.Ordinal);
            Assert.Contains("score: 4.140000", show, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("init")]
    [InlineData("run")]
    [InlineData("status")]
    [InlineData("log")]
    [InlineData("show")]
    [InlineData("plot")]
    [InlineData("dashboard")]
    public async Task Help_of_every_command_renders(string command)
    {
        var (code, output) = await CliRunner.RunAsync(command, "--help");

        Assert.Equal(0, code);
        Assert.Contains("USAGE", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_without_an_agent_uses_the_built_in_search()
    {
        var dir = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "search-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Assert.Equal(0, (await CliRunner.RunAsync("init", dir)).ExitCode);

            var (code, output) = await CliRunner.RunAsync("run", dir, "--max-experiments", "4", "--plain");

            Assert.Equal(0, code);
            Assert.Contains("proposer search", output, StringComparison.Ordinal);
            Assert.Matches(@"\[1\] \w+ score=[0-9.]+ best=[0-9.]+ \S+ [XY] 1\.0 -> |\[1\] \w+ score=[0-9.]+ best=[0-9.]+ \S+ [XY] 0\.8 -> ", output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Init_refuses_to_overwrite_and_names_unknown_templates()
    {
        using var repo = new TempGitRepo(new Dictionary<string, string> { ["autoresearch.toml"] = "x = 1\n" });

        var (code, output) = await CliRunner.RunAsync("init", repo.Root, "--template", "empty");
        Assert.Equal(2, code);
        Assert.Contains("never overwrites", output, StringComparison.Ordinal);

        var (unknownCode, unknown) = await CliRunner.RunAsync("init", repo.Root, "--template", "nope");
        Assert.Equal(2, unknownCode);
        Assert.Contains("available: ", unknown, StringComparison.Ordinal);
        Assert.Contains("karpathy", unknown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_toml_exits_2_with_the_position()
    {
        using var repo = new TempGitRepo(new Dictionary<string, string> { ["autoresearch.toml"] = "[objective\n" });

        var (code, output) = await CliRunner.RunAsync("run", repo.Root, "--agent", "cli", "--agent-command", "true");

        Assert.Equal(2, code);
        Assert.Contains("not valid TOML", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_run_command_exits_2_naming_the_key()
    {
        using var repo = new TempGitRepo(new Dictionary<string, string>
        {
            ["autoresearch.toml"] = "[objective]\nmetric = \"m\"\ndirection = \"minimize\"\n[run]\n[scope]\neditable = [\"a\"]\n",
        });

        var (code, output) = await CliRunner.RunAsync("run", repo.Root, "--agent", "cli", "--agent-command", "true");

        Assert.Equal(2, code);
        Assert.Contains("[run] command is missing", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Folder_that_is_not_a_git_repository_exits_2_with_the_fix()
    {
        var dir = Directory.CreateTempSubdirectory("autoresearch-nogit-").FullName;
        try
        {
            var (code, output) = await CliRunner.RunAsync("run", dir);

            Assert.Equal(2, code);
            Assert.Contains("is not a git repository", output, StringComparison.Ordinal);
            Assert.Contains("git init", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Dirty_tree_exits_2_and_names_the_file_and_nothing_is_lost()
    {
        using var toy = new ToyWorkspace();
        toy.Repo.Write("knobs.sh", "X=1\n# my unsaved work\n");

        var (code, output) = await CliRunner.RunAsync("run", toy.Root, "--agent", "cli", "--agent-command", toy.AgentCommand);

        Assert.Equal(2, code);
        Assert.Contains("uncommitted changes to tracked files (knobs.sh)", output, StringComparison.Ordinal);
        Assert.Equal("X=1\n# my unsaved work\n", toy.Repo.Read("knobs.sh"));
    }

    [Fact]
    public async Task Missing_agent_or_agent_command_exits_2()
    {
        using var toy = new ToyWorkspace();

        var (code, output) = await CliRunner.RunAsync("run", toy.Root, "--agent", "cli");
        Assert.Equal(2, code);
        Assert.Contains("needs a command", output, StringComparison.Ordinal);

        var (badFlag, _) = await CliRunner.RunAsync("run", toy.Root, "--max-experiments", "many");
        Assert.Equal(2, badFlag);
    }

    [Fact]
    public async Task Metric_never_printed_exits_1_with_the_log_line()
    {
        using var toy = new ToyWorkspace();
        toy.Repo.Write("knobs.sh", "X=1\nMODE=nometric\nHANG=1\n");
        toy.Repo.Git("commit", "-qam", "no metric");

        var (code, output) = await CliRunner.RunAsync("run", toy.Root, "--agent", "cli", "--agent-command", toy.AgentCommand);

        Assert.Equal(1, code);
        Assert.Contains("the baseline failed: no metric `score`", output, StringComparison.Ordinal);
        Assert.Contains("finished without a score", output, StringComparison.Ordinal);
    }
}
