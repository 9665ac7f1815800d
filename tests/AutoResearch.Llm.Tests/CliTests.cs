using AutoResearch.Cli;
using AutoResearch.Llm.Tests.Support;
using Spectre.Console.Testing;

namespace AutoResearch.Llm.Tests;

/// <summary><c>autoresearch run --agent llm</c> end to end, in-process, against the fake endpoint.</summary>
public sealed class CliTests
{
    [Fact]
    public async Task Run_with_the_llm_agent_keeps_the_models_change_and_log_shows_its_tokens()
    {
        await using var h = new LlmHarness(LlmProvider.OpenAI);
        var wire = h.Wire;
        h.Server.Enqueue(
            wire.ToolCalls(new Call("read_file", new { path = "knobs.sh" })),
            wire.ToolCalls(new Call("replace_in_file", new { path = "knobs.sh", old_text = "X=10", new_text = "X=5" })),
            wire.ToolCalls(new Call("finish", new { description = "halve X" })));

        // A loopback endpoint needs no key, as with Ollama or a llama.cpp server.
        var (code, output) = await RunAsync(
            "run", h.Toy.Root, "--agent", "llm", "--provider", "openai", "--model", "test-model",
            "--base-url", wire.BaseUrl(h.Server).ToString(), "--max-experiments", "1", "--tag", "e", "--plain");

        Assert.True(code == 0, output);
        Assert.Contains("proposer llm", output, StringComparison.Ordinal);
        Assert.Contains("model tokens: 360 over 1 proposals", output, StringComparison.Ordinal);
        Assert.Contains("\"model\":\"test-model\"", h.Requests[0], StringComparison.Ordinal);

        var (logCode, log) = await RunAsync("log", h.Toy.Root, "--tag", "e");
        Assert.Equal(0, logCode);
        Assert.Contains("tokens", log, StringComparison.Ordinal);
        var row = log.Split('\n').Single(l => l.Contains("halve X", StringComparison.Ordinal));
        Assert.Contains("keep", row, StringComparison.Ordinal);
        Assert.Contains("360", row, StringComparison.Ordinal);

        var (_, show) = await RunAsync("show", "2", h.Toy.Root);
        Assert.Contains("360 (300 read, 60 written)", show, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_agent_section_of_the_spec_configures_the_llm_agent()
    {
        await using var h = new LlmHarness(LlmProvider.Anthropic);
        var wire = h.Wire;
        h.Toy.Repo.Write("autoresearch.toml", h.Toy.Repo.Read("autoresearch.toml") + $"""

            [agent]
            kind = "llm"
            provider = "anthropic"
            model = "claude-test"
            base_url = "{wire.BaseUrl(h.Server)}"
            api_key_env = "AUTORESEARCH_TEST_UNSET_KEY"
            """);
        h.Toy.Repo.Git("commit", "-qam", "llm agent");

        var (code, output) = await RunAsync("run", h.Toy.Root, "--max-experiments", "1", "--plain");

        // The key variable named in the spec is unset: the run stops before the baseline, naming it.
        Assert.Equal(2, code);
        Assert.Contains("AUTORESEARCH_TEST_UNSET_KEY", output, StringComparison.Ordinal);
        Assert.Empty(h.Server.Received);
        Assert.False(File.Exists(Path.Combine(h.Toy.Root, ".autoresearch", "ledger.db")));
    }

    [Fact]
    public async Task Bad_llm_flags_are_reported_together_with_exit_code_2()
    {
        await using var h = new LlmHarness(LlmProvider.OpenAI);

        var (code, output) = await RunAsync("run", h.Toy.Root, "--agent", "llm", "--provider", "gemini", "--base-url", "localhost:1234");

        Assert.True(code == 2, output);
        Assert.Contains("--provider gemini must be openai", output, StringComparison.Ordinal);
        Assert.Contains("--base-url localhost:1234 must be an http(s) URL", output, StringComparison.Ordinal);
        Assert.Contains("needs a model", output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        var code = await Entry.RunAsync(args, console);
        return (code, console.Output);
    }
}
