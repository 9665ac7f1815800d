using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text;
using AutoResearch.Core;
using AutoResearch.Core.Proposers;
using Microsoft.Extensions.AI;

namespace AutoResearch.Llm;

/// <summary>
/// The <c>llm</c> proposer: an API model edits the worktree through tools (<see cref="Toolbox"/>) until it calls
/// <c>finish</c>, bounded by <see cref="LlmOptions.MaxToolCalls"/> and <see cref="LlmOptions.MaxTokens"/>. The
/// conversation is written to <c>agent.log</c> in the experiment's folder; the notes it takes go to the workspace's
/// notebook (<c>.autoresearch/notebook.md</c>). Bad credentials, an unknown model or an unreachable endpoint stop the run
/// (<see cref="ModelApiException"/>); any other failure is a failed proposal and the loop goes on.
/// </summary>
public sealed class LlmProposer : IProposer, IDisposable
{
    /// <summary>The notebook's file name in the workspace's <c>.autoresearch</c> folder.</summary>
    public const string NotebookFile = "notebook.md";

    private readonly IChatClient _client;
    private readonly LlmOptions _options;
    private readonly string? _notebookPath;
    private readonly TimeProvider _time;
    private HttpClient? _http;

    /// <param name="client">The model. Disposed with the proposer.</param>
    /// <param name="options">Limits; validated here.</param>
    /// <param name="notebookPath">The notebook; default <c>.autoresearch/notebook.md</c> in the workspace root.</param>
    /// <param name="time">Drives the turn's time limit; default the system clock.</param>
    public LlmProposer(IChatClient client, LlmOptions options, string? notebookPath = null, TimeProvider? time = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new SpecException("llm agent", problems);
        }

        _notebookPath = notebookPath;
        _time = time ?? TimeProvider.System;
    }

    public string Name => "llm";

    /// <summary>
    /// Validates <paramref name="options"/>, reads the API key from the environment and connects the provider.
    /// </summary>
    /// <param name="environment">Reads an environment variable; default <see cref="Environment.GetEnvironmentVariable(string)"/>.</param>
    /// <param name="handler">The innermost HTTP handler; default a real socket handler.</param>
    /// <param name="time">Drives the retry waits and timeouts; default the system clock.</param>
    /// <exception cref="SpecException">The options are invalid or the key is missing; every problem is listed.</exception>
    public static LlmProposer Connect(
        LlmOptions options, string? notebookPath = null, Func<string, string?>? environment = null,
        HttpMessageHandler? handler = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new SpecException("llm agent", problems);
        }

        var key = ModelClient.ApiKey(options, environment ?? Environment.GetEnvironmentVariable);
        time ??= TimeProvider.System;
        var (client, http) = ModelClient.Create(options, key, time, handler);
        return new LlmProposer(client, options, notebookPath, time) { _http = http };
    }

    public void Dispose()
    {
        _client.Dispose();
        _http?.Dispose();
    }

    public async Task<Proposal> ProposeAsync(ProposalContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        Directory.CreateDirectory(context.RunDirectory);
        var files = new WorktreeFiles(context.Worktree, context.Spec.Scope);
        var notebook = new Notebook(_notebookPath ?? Path.Combine(context.Spec.Root, ".autoresearch", NotebookFile));
        var toolbox = new Toolbox(files, notebook, context.Experiment.Tag, context.Experiment.Seq);
        var editable = files.List(".").Where(files.IsEditable).ToList();
        var briefing = Briefing.Build(context, editable, await notebook.TailAsync(cancellationToken).ConfigureAwait(false));
        List<ChatMessage> messages = [new(ChatRole.System, Briefing.System), new(ChatRole.User, briefing)];

        var logPath = Path.Combine(context.RunDirectory, "agent.log");
        await using var log = new StreamWriter(logPath, append: true, Encoding.UTF8);
        await log.WriteAsync($"# briefing\n\n{briefing}\n").ConfigureAwait(false);
        var turn = new Turn(toolbox);
        using var limit = new CancellationTokenSource(_options.TurnTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, limit.Token);
        try
        {
            return await ConverseAsync(messages, turn, log, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The turn's own limit, not Ctrl-C: a failed proposal, and the loop goes on.
            var message = $"the model's turn took longer than {_options.TurnTimeout.TotalSeconds:0} s ([agent] timeout_seconds)";
            await log.WriteAsync($"\n# failed\n\n{message}\n").ConfigureAwait(false);
            return turn.Result(Proposal.Failure(Unfinished(toolbox), message));
        }
        catch (Exception e) when (Find<ModelApiException>(e) is { } failure)
        {
            // The SDKs may wrap what the HTTP layer threw; the cause is what the user needs.
            await log.WriteAsync($"\n# failed\n\n{failure.Message}\n").ConfigureAwait(false);
            if (failure.IsFatal)
            {
                ExceptionDispatchInfo.Throw(failure);
            }

            return turn.Result(Proposal.Failure(Unfinished(toolbox), failure.Message));
        }
    }

    private async Task<Proposal> ConverseAsync(List<ChatMessage> messages, Turn turn, StreamWriter log, CancellationToken cancellationToken)
    {
        var toolbox = turn.Toolbox;
        var nudged = false;
        while (true)
        {
            var left = _options.MaxTokens - turn.Tokens;
            if (left <= 0)
            {
                return turn.Result(Proposal.Failure(Unfinished(toolbox),
                    $"the model used its {_options.MaxTokens} tokens without calling finish; raise [agent] max_tokens"));
            }

            var chatOptions = new ChatOptions
            {
                Tools = Toolbox.Declarations,
                ToolMode = ChatToolMode.Auto,
                MaxOutputTokens = (int)Math.Min(_options.MaxOutputTokens, Math.Max(left, 256)),
            };
            var response = await _client.GetResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false);
            turn.Count(response.Usage);
            messages.AddRange(response.Messages);
            var said = response.Text.Trim();
            if (said.Length > 0)
            {
                await log.WriteAsync($"\n# model\n\n{said}\n").ConfigureAwait(false);
            }

            var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
            if (calls.Count == 0)
            {
                if (!nudged)
                {
                    // Some models describe their plan and stop; one reminder of the protocol usually gets them going.
                    nudged = true;
                    messages.Add(new ChatMessage(ChatRole.User,
                        "Use the tools: make your change with replace_in_file or write_file, then call finish(description)."));
                    continue;
                }

                return toolbox.Edited.Count > 0
                    ? turn.Result(Proposal.Success(LastLine(said) ?? $"edited {string.Join(", ", toolbox.Edited)}"))
                    : turn.Result(Proposal.Failure(LastLine(said) ?? "(no description)",
                        $"the model ended its turn without changing a file or calling finish (it said: {Proposal.Cut(said)})"));
            }

            var results = new List<AIContent>();
            foreach (var call in calls)
            {
                string result;
                if (call.Name != "finish" && turn.ToolCalls >= _options.MaxToolCalls)
                {
                    result = $"error: the limit of {_options.MaxToolCalls} tool calls is reached; call finish(description) now";
                }
                else
                {
                    // finish is always allowed, so a model at its limit can still hand in what it made.
                    turn.ToolCalls += call.Name == "finish" ? 0 : 1;
                    result = await toolbox.CallAsync(call.Name, call.Arguments, cancellationToken).ConfigureAwait(false);
                    if (turn.ToolCalls == _options.MaxToolCalls && call.Name != "finish")
                    {
                        result += $"\n(that was your last tool call of {_options.MaxToolCalls}: call finish(description) now)";
                    }
                }

                await log.WriteAsync($"\n# {call.Name}({Arguments(call)})\n\n{Cut(result, 2_000)}\n").ConfigureAwait(false);
                results.Add(new FunctionResultContent(call.CallId, result));
            }

            messages.Add(new ChatMessage(ChatRole.Tool, results));
            await log.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (toolbox.FinishedWith is { } description)
            {
                return turn.Result(Proposal.Success(description));
            }

            if (turn.ToolCalls >= _options.MaxToolCalls)
            {
                if (turn.WarnedOfLimit)
                {
                    return turn.Result(Proposal.Failure(Unfinished(toolbox),
                        $"the model used its {_options.MaxToolCalls} tool calls without calling finish; raise [agent] max_tool_calls"));
                }

                turn.WarnedOfLimit = true;
            }
        }
    }

    private static string Unfinished(Toolbox toolbox) =>
        toolbox.Edited.Count > 0 ? $"(unfinished) edited {string.Join(", ", toolbox.Edited)}" : "(unfinished)";

    private static string? LastLine(string text) =>
        text.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0);

    private static string Arguments(FunctionCallContent call) =>
        call.Arguments is null ? "" : Cut(string.Join(", ", call.Arguments.Select(kv => $"{kv.Key}: {kv.Value}")), 300);

    private static string Cut(string text, int length) => text.Length <= length ? text : text[..length] + "…";

    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>What one experiment's conversation has spent so far.</summary>
    private sealed class Turn(Toolbox toolbox)
    {
        public Toolbox Toolbox { get; } = toolbox;

        public long InputTokens { get; private set; }

        public long OutputTokens { get; private set; }

        public long Tokens => InputTokens + OutputTokens;

        public int ToolCalls { get; set; }

        /// <summary>Set once the tool calls ran out; the model then gets one more reply to call finish.</summary>
        public bool WarnedOfLimit { get; set; }

        public void Count(UsageDetails? usage)
        {
            InputTokens += usage?.InputTokenCount ?? 0;
            OutputTokens += usage?.OutputTokenCount ?? 0;
        }

        public Proposal Result(Proposal proposal) => proposal with { InputTokens = InputTokens, OutputTokens = OutputTokens };
    }
}
