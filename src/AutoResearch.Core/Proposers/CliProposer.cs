using System.Globalization;
using AutoResearch.Core.Running;

namespace AutoResearch.Core.Proposers;

/// <summary>
/// An external coding agent (Claude Code, Codex, Aider, ...) run once per experiment in the worktree.
/// <c>{prompt}</c> in the command template becomes the (shell-quoted) path of the prompt file. The description
/// is the file named by <c>AUTORESEARCH_DESCRIPTION</c> when the agent wrote one, else the last non-empty
/// line it printed, cut to 120 characters.
/// </summary>
public sealed class CliProposer : IProposer
{
    private readonly string _template;
    private readonly TimeSpan _timeout;

    /// <param name="template">The command, run by <c>bash -c</c>, with <c>{prompt}</c> where the prompt file's path goes.</param>
    /// <param name="timeout">The limit on one turn of the agent; its whole process group is killed past it.</param>
    public CliProposer(string template, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(template);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        _template = template;
        _timeout = timeout;
    }

    public string Name => "cli";

    public async Task<Proposal> ProposeAsync(ProposalContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        Directory.CreateDirectory(context.RunDirectory);
        var promptPath = Path.Combine(context.RunDirectory, "prompt.md");
        var descriptionPath = Path.Combine(context.RunDirectory, "description.txt");
        await File.WriteAllTextAsync(promptPath, PromptBuilder.Build(context, descriptionPath), cancellationToken).ConfigureAwait(false);

        var command = _template.Replace("{prompt}", Quote(promptPath), StringComparison.Ordinal);
        var environment = new Dictionary<string, string?>
        {
            ["AUTORESEARCH_PROMPT"] = promptPath,
            ["AUTORESEARCH_DESCRIPTION"] = descriptionPath,
            ["AUTORESEARCH_EXPERIMENT"] = context.Experiment.Id.ToString(CultureInfo.InvariantCulture),
            ["AUTORESEARCH_WORKTREE"] = context.Worktree,
        };

        var logPath = Path.Combine(context.RunDirectory, "agent.log");
        ProcessOutcome outcome;
        await using (var group = ProcessGroup.Start(command, context.Worktree, logPath, environment))
        {
            outcome = await group.WaitAsync(_timeout, cancellationToken).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var output = await File.ReadAllTextAsync(logPath, CancellationToken.None).ConfigureAwait(false);
        var lastLine = output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0 && !l.StartsWith("[autoresearch]", StringComparison.Ordinal)) ?? "";
        var written = File.Exists(descriptionPath) ? (await File.ReadAllTextAsync(descriptionPath, CancellationToken.None).ConfigureAwait(false)).Trim() : "";
        var description = written.Length > 0 ? written.Split('\n')[0] : lastLine;

        if (outcome.ExitCode == 127)
        {
            throw new ResearchException($"the agent command was not found (`{_template}`, exit 127: {lastLine}); check --agent-command or [agent] command");
        }

        if (outcome.TimedOut)
        {
            return Proposal.Failure(description, $"the agent timed out after {_timeout.TotalSeconds:0} s (see {logPath})");
        }

        if (outcome.ExitCode != 0)
        {
            return Proposal.Failure(description, $"the agent exited with code {outcome.ExitCode} (last line: {Proposal.Cut(lastLine)}; see {logPath})");
        }

        return Proposal.Success(description.Length > 0 ? description : "(the agent gave no description)");
    }

    /// <summary>Single-quotes <paramref name="value"/> for bash.</summary>
    internal static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
