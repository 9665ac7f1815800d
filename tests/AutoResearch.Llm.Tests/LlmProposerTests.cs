using AutoResearch.Core;
using AutoResearch.Core.Records;
using AutoResearch.Llm.Tests.Support;
using AutoResearch.Tests.Support;

namespace AutoResearch.Llm.Tests;

/// <summary>
/// The llm proposer in a real loop (real git, real runs, real SQLite) against a loopback server that speaks each
/// provider's real wire format and replays a scripted model.
/// </summary>
public sealed class LlmProposerTests
{
    public static TheoryData<LlmProvider> Providers => [LlmProvider.OpenAI, LlmProvider.Anthropic];

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Edit_lands_in_the_worktree_and_the_experiment_runs(LlmProvider provider)
    {
        await using var h = new LlmHarness(provider);
        var wire = h.Wire;
        h.Server.Enqueue(
            wire.ToolCalls(new Call("list_files", new { })),
            wire.ToolCalls(new Call("read_file", new { path = "knobs.sh" })),
            wire.ToolCalls(new Call("replace_in_file", new { path = "knobs.sh", old_text = "X=10", new_text = "X=4" })),
            wire.ToolCalls(new Call("finish", new { description = "lower X to 4" })));

        var summary = await h.RunAsync(maxExperiments: 1);

        var e = summary.Experiments[1];
        Assert.Equal((ExperimentStatus.Keep, 4.0, "lower X to 4", "llm"), (e.Status, e.Metric, e.Description, e.Proposer));
        Assert.Equal(["knobs.sh"], e.ChangedPaths);
        Assert.Equal((400L, 80L), (e.InputTokens, e.OutputTokens));
        Assert.Contains("X=4", h.Toy.Repo.Git("show", "autoresearch/t1:knobs.sh"), StringComparison.Ordinal);
        Assert.All(h.Server.Received, r => Assert.Equal((wire.RequestPath, "test-key"), (r.Path, wire.SentKey(r))));
        Assert.Equal(["list_files", "read_file", "replace_in_file", "write_file", "note", "finish"], wire.ToolNames(h.Requests[0]));
        Assert.Contains("careful machine-learning researcher", wire.SystemText(h.Requests[0]), StringComparison.Ordinal);
        Assert.Contains("## Instructions (program.md)\n\nLower the score.", wire.UserTexts(h.Requests[0])[0], StringComparison.Ordinal);
        var results = wire.ToolResults(h.Requests[^1]);
        Assert.Contains("knobs.sh  (editable)", results[0], StringComparison.Ordinal);
        Assert.DoesNotContain("experiment.sh  (editable)", results[0], StringComparison.Ordinal);
        Assert.DoesNotContain(".git", results[0], StringComparison.Ordinal);
        Assert.Contains("X=10", results[1], StringComparison.Ordinal);
        Assert.StartsWith("ok: replaced", results[2], StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(h.Toy.Root, ".autoresearch", "runs", e.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "agent.log")));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Forbidden_edits_are_refused_by_the_tools_and_the_model_is_told_why(LlmProvider provider)
    {
        await using var h = new LlmHarness(provider);
        var wire = h.Wire;
        h.Server.Enqueue(
            wire.ToolCalls(new Call("replace_in_file", new { path = "experiment.sh", old_text = "score", new_text = "cheat" })),
            wire.ToolCalls(
                new Call("write_file", new { path = "../../escape.txt", content = "x" }),
                new Call("read_file", new { path = ".git/config" })),
            wire.ToolCalls(new Call("finish", new { description = "tried to cheat" })));

        var summary = await h.RunAsync(maxExperiments: 1);

        var results = wire.ToolResults(h.Requests[^1]);
        Assert.Equal(3, results.Count);
        Assert.Contains("error: `experiment.sh` is read-only: you may edit only files matching `knobs.sh`", results[0], StringComparison.Ordinal);
        Assert.Contains("outside the repository", results[1], StringComparison.Ordinal);
        Assert.Contains("belongs to the harness", results[2], StringComparison.Ordinal);
        Assert.Equal(ToyWorkspace.Experiment.ReplaceLineEndings("\n"), File.ReadAllText(Path.Combine(h.Worktree(), "experiment.sh")));
        Assert.False(File.Exists(Path.Combine(h.Toy.Root, ".autoresearch", "escape.txt")));
        var e = summary.Experiments[1];
        Assert.Equal((ExperimentStatus.Discard, "the proposer changed nothing"), (e.Status, e.Error));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Notes_persist_across_a_restart(LlmProvider provider)
    {
        await using var h = new LlmHarness(provider);
        var wire = h.Wire;
        h.Server.Enqueue(
            wire.ToolCalls(
                new Call("note", new { text = "X drives the score directly; lower is better" }),
                new Call("replace_in_file", new { path = "knobs.sh", old_text = "X=10", new_text = "X=8" })),
            wire.ToolCalls(new Call("finish", new { description = "lower X to 8" })));
        using (var first = h.Proposer())
        {
            await h.RunAsync(maxExperiments: 1, first);
        }

        h.Server.Enqueue(
            wire.ToolCalls(new Call("replace_in_file", new { path = "knobs.sh", old_text = "X=8", new_text = "X=7" })),
            wire.ToolCalls(new Call("finish", new { description = "lower X to 7" })));
        using var second = h.Proposer();
        var summary = await h.RunAsync(maxExperiments: 2, second);

        Assert.Equal([ExperimentStatus.Keep, ExperimentStatus.Keep, ExperimentStatus.Keep], summary.Experiments.Select(e => e.Status!.Value));
        var notebook = File.ReadAllText(Path.Combine(h.Toy.Root, ".autoresearch", "notebook.md"));
        Assert.Contains("(run t1, experiment 1) X drives the score directly; lower is better", notebook, StringComparison.Ordinal);
        var briefing = wire.UserTexts(h.Requests[2])[0];
        Assert.Contains("# Experiment 2 of run t1", briefing, StringComparison.Ordinal);
        Assert.Contains("X drives the score directly; lower is better", briefing, StringComparison.Ordinal);
        Assert.Contains("| 1 | keep | 8 | lower X to 8 |", briefing, StringComparison.Ordinal);
        Assert.Contains("+X=8", briefing, StringComparison.Ordinal);
        Assert.DoesNotContain("X drives the score", wire.UserTexts(h.Requests[0])[0], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Rate_limits_and_server_errors_are_retried_after_the_wait_the_server_asks(LlmProvider provider)
    {
        await using var h = new LlmHarness(provider);
        var wire = h.Wire;
        h.Server.Enqueue(
            wire.Error(429, "slow down", new Dictionary<string, string> { ["Retry-After"] = "7" }),
            wire.ToolCalls(new Call("replace_in_file", new { path = "knobs.sh", old_text = "X=10", new_text = "X=3" })),
            wire.Error(503, "overloaded"),
            wire.Error(500, "oops"),
            wire.ToolCalls(new Call("finish", new { description = "lower X to 3" })));

        var summary = await h.RunAsync(maxExperiments: 1);

        Assert.Equal((ExperimentStatus.Keep, 3.0), (summary.Experiments[1].Status, summary.Experiments[1].Metric));
        Assert.Equal(5, h.Server.Received.Count);
        // 7 s as asked (more than the 1 s backoff); then 1 s and 2 s of exponential backoff.
        Assert.Equal([TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], h.Time.Waits);
        Assert.Equal(h.Server.Received[0].Body, h.Server.Received[1].Body);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task Bad_credentials_stop_the_run_and_name_the_variable_to_fix(LlmProvider provider)
    {
        await using var h = new LlmHarness(provider);
        h.Server.Enqueue(h.Wire.Error(401, "invalid x-api-key"));

        var error = await Assert.ThrowsAsync<ModelApiException>(() => h.RunAsync(maxExperiments: 3));

        Assert.Equal(401, error.StatusCode);
        Assert.True(error.IsUsageError);
        Assert.Contains("refused the credentials (401", error.Message, StringComparison.Ordinal);
        Assert.Contains("invalid x-api-key", error.Message, StringComparison.Ordinal);
        Assert.Contains($"environment variable {h.Wire.KeyVariable}", error.Message, StringComparison.Ordinal);
        Assert.Single(h.Server.Received);
        Assert.Empty(h.Time.Waits);
    }

    [Fact]
    public async Task An_endpoint_nobody_listens_on_stops_the_run_after_the_retries()
    {
        await using var h = new LlmHarness(LlmProvider.OpenAI);
        // A port held by a socket that never listens: nothing else can take it, and connections are refused.
        using var holder = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        holder.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var closed = new Uri($"http://127.0.0.1:{((System.Net.IPEndPoint)holder.LocalEndPoint!).Port}/v1");

        using var proposer = h.Proposer(h.Options with { BaseUrl = closed });
        var error = await Assert.ThrowsAsync<ModelApiException>(() => h.RunAsync(maxExperiments: 3, proposer));

        Assert.True(error.Unreachable);
        Assert.False(error.IsUsageError);
        Assert.Contains($"could not reach the model at {closed} after 4 attempt(s)", error.Message, StringComparison.Ordinal);
        Assert.Contains("check --base-url and that the server is up", error.Message, StringComparison.Ordinal);
        Assert.Equal([1, 2, 4], h.Time.Waits.Select(w => w.TotalSeconds));
    }

    [Fact]
    public async Task Retries_that_run_out_are_a_failed_proposal_and_the_loop_goes_on()
    {
        await using var h = new LlmHarness(LlmProvider.OpenAI);
        var wire = h.Wire;
        h.Server.Enqueue(Enumerable.Repeat(wire.Error(503, "down"), 4).ToArray());
        h.Server.Enqueue(
            wire.ToolCalls(new Call("replace_in_file", new { path = "knobs.sh", old_text = "X=10", new_text = "X=6" })),
            wire.ToolCalls(new Call("finish", new { description = "lower X to 6" })));

        var summary = await h.RunAsync(maxExperiments: 2);

        var (failed, kept) = (summary.Experiments[1], summary.Experiments[2]);
        Assert.Equal(ExperimentStatus.Crash, failed.Status);
        Assert.Contains("kept failing after 4 attempts (503", failed.Error, StringComparison.Ordinal);
        Assert.Equal((ExperimentStatus.Keep, 6.0), (kept.Status, kept.Metric));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task An_unknown_model_stops_the_run_naming_the_flags_to_check(LlmProvider provider)
    {
        await using var h = new LlmHarness(provider);
        h.Server.Enqueue(h.Wire.Error(404, "model test-model not found"));

        var error = await Assert.ThrowsAsync<ModelApiException>(() => h.RunAsync(maxExperiments: 2));

        Assert.Equal(404, error.StatusCode);
        Assert.Contains("model test-model not found", error.Message, StringComparison.Ordinal);
        Assert.Contains("check --model and --base-url", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public async Task An_answer_that_is_not_a_chat_response_is_a_failed_proposal(LlmProvider provider)
    {
        await using var h = new LlmHarness(provider);
        h.Server.Enqueue(new Reply(200, "<html>proxy login</html>"), new Reply(200, """{"unexpected": true}"""));

        var summary = await h.RunAsync(maxExperiments: 2);

        Assert.Equal([ExperimentStatus.Crash, ExperimentStatus.Crash], summary.Experiments.Skip(1).Select(e => e.Status!.Value));
        Assert.All(summary.Experiments.Skip(1), e => Assert.Contains("not a chat response", e.Error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tool_call_limit_ends_an_unfinished_experiment()
    {
        await using var h = new LlmHarness(LlmProvider.OpenAI);
        var wire = h.Wire;
        var read = wire.ToolCalls(new Call("read_file", new { path = "knobs.sh" }));
        h.Server.Enqueue(read, wire.ToolCalls(new Call("read_file", new { path = "knobs.sh" })), wire.ToolCalls(new Call("read_file", new { path = "knobs.sh" })));

        using var proposer = h.Proposer(h.Options with { MaxToolCalls = 2 });
        var summary = await h.RunAsync(maxExperiments: 1, proposer);

        var e = summary.Experiments[1];
        Assert.Equal(ExperimentStatus.Crash, e.Status);
        Assert.Contains("used its 2 tool calls without calling finish; raise [agent] max_tool_calls", e.Error, StringComparison.Ordinal);
        var results = wire.ToolResults(h.Requests[^1]);
        Assert.Contains("that was your last tool call of 2", results[1], StringComparison.Ordinal);
        Assert.Equal((300L, 60L), (e.InputTokens, e.OutputTokens));
    }

    [Fact]
    public async Task A_turn_past_its_time_limit_is_a_failed_proposal_not_an_interruption()
    {
        await using var h = new LlmHarness(LlmProvider.OpenAI);
        var wire = h.Wire;
        h.Server.Enqueue(Enumerable.Range(0, 8).Select(_ => wire.ToolCalls(new Call("read_file", new { path = "knobs.sh" }))).ToArray());

        // Within the clock's instant range, so the turn's limit expires at once.
        using var proposer = h.Proposer(h.Options with { TurnTimeout = TimeSpan.FromMinutes(2) });
        var summary = await h.RunAsync(maxExperiments: 1, proposer);

        var e = summary.Experiments[1];
        Assert.Equal(ExperimentStatus.Crash, e.Status);
        Assert.Equal("the model's turn took longer than 120 s ([agent] timeout_seconds)", e.Error);
        Assert.Contains(TimeSpan.FromMinutes(2), h.Time.Waits);
    }

    [Fact]
    public async Task A_reply_without_tool_calls_gets_one_reminder()
    {
        await using var h = new LlmHarness(LlmProvider.Anthropic);
        var wire = h.Wire;
        h.Server.Enqueue(
            wire.Text("I would lower X."),
            wire.ToolCalls(new Call("replace_in_file", new { path = "knobs.sh", old_text = "X=10", new_text = "X=2" })),
            wire.ToolCalls(new Call("finish", new { description = "lower X to 2" })));

        var summary = await h.RunAsync(maxExperiments: 1);

        Assert.Equal(ExperimentStatus.Keep, summary.Experiments[1].Status);
        Assert.Contains(wire.UserTexts(h.Requests[1]), t => t.Contains("Use the tools", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_key_is_reported_before_anything_runs()
    {
        var options = new LlmOptions { Provider = LlmProvider.Anthropic, Model = "claude-sonnet-4-5" };

        var error = Assert.Throws<SpecException>(() => LlmProposer.Connect(options, environment: _ => null));

        Assert.Contains("ANTHROPIC_API_KEY", error.Message, StringComparison.Ordinal);
        Assert.Contains("api_key_env", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_local_openai_compatible_server_needs_no_key()
    {
        var options = new LlmOptions { Model = "qwen2.5-coder", BaseUrl = new Uri("http://localhost:11434/v1") };

        using var proposer = LlmProposer.Connect(options, environment: _ => null);

        Assert.Equal("llm", proposer.Name);
    }
}
