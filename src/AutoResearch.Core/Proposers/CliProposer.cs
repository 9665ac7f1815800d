using System.Globalization;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Proposers;

/// <summary>
/// An external coding agent (Claude Code, Codex, Aider, ...) run once per experiment in the worktree.
/// <c>{prompt}</c> in the command template becomes the (shell-quoted) path of the prompt file. The description
/// is the file named by <c>AUTORESEARCH_DESCRIPTION</c> when the agent wrote one, else the last non-empty
/// line it printed, cut to 120 characters.
/// </summary>
/// <remarks>
/// The agent is untrusted: under <c>[agent] sandbox = "bwrap"</c> (the default) it runs in bubblewrap, where it can write
/// the worktree (not its <c>.git</c>), its own description file, a private temporary folder and its configuration folders,
/// reads the rest of the machine read-only, never sees the harness's state (ledger, other experiments, worktrees), the
/// ledger's key or the scored data, and has the network unless <c>[agent] network = false</c>. Every process it starts
/// ends with its turn (<see cref="ProcessGroup"/>). Without bwrap the agent is refused unless the spec says
/// <c>sandbox = "none"</c> in so many words.
/// </remarks>
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
        var readOnlyFiles = context.Spec.Agent.Sandbox == SandboxKind.Bwrap
            ? await new Workspace.Worktree(context.Worktree).ReadOnlyFilesAsync(context.Spec.Scope, cancellationToken).ConfigureAwait(false)
            : [];
        using (var sandbox = SandboxFor(context, environment, readOnlyFiles))
        {
            await using var group = ProcessGroup.Start(command, context.Worktree, logPath, environment, sandbox: sandbox, header: sandbox?.Description);
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

        return Proposal.Success(description.Length > 0 ? description : "(the agent gave no description)") with { Escaped = outcome.Escaped };
    }

    /// <summary>
    /// Refuses, before anything runs, an agent that would run unsandboxed by default: <c>[agent] sandbox = "bwrap"</c> (the
    /// default) on a machine without bubblewrap.
    /// </summary>
    /// <exception cref="SpecException">bubblewrap is missing and the spec did not say <c>sandbox = "none"</c>.</exception>
    public static void EnsureSandbox(ResearchSpec spec, string? searchPath = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Agent.Sandbox == SandboxKind.Bwrap && Sandbox.Find(searchPath) is null)
        {
            throw new SpecException(spec.Source, [MissingBwrap]);
        }
    }

    private const string MissingBwrap =
        "the cli agent runs in a bubblewrap sandbox, but bubblewrap is not installed (no `bwrap` on PATH); install it " +
        "(apt-get install bubblewrap), or, to run the agent with your own rights and access, write [agent] sandbox = \"none\" in autoresearch.toml";

    /// <summary>The agent's sandbox under <c>[agent] sandbox = "bwrap"</c>, or null under <c>"none"</c>.</summary>
    /// <exception cref="ResearchException">bubblewrap is missing and the spec did not say <c>sandbox = "none"</c>.</exception>
    private static Sandbox? SandboxFor(ProposalContext context, Dictionary<string, string?> environment, IReadOnlyList<string> readOnlyFiles)
    {
        var agent = context.Spec.Agent;
        if (agent.Sandbox == SandboxKind.None)
        {
            return null;
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var scratch = Path.Combine(context.RunDirectory, "agent-tmp");
        Directory.CreateDirectory(scratch);
        var description = environment["AUTORESEARCH_DESCRIPTION"]!;
        File.WriteAllText(description, "");
        environment["TMPDIR"] = scratch;
        var writable = new List<string> { context.Worktree, scratch, description };
        writable.AddRange(AgentSpec.DefaultWritable.Concat(agent.Writable).Select(p => Expand(p, home)).Where(p => File.Exists(p) || Directory.Exists(p)));
        // The prompt is read where it lies; the worktree's .git file (which says where its repository is) is never the agent's to change.
        // The read-only files too: the agent is told it may not change them, and here it cannot.
        var readOnly = new List<string> { context.RunDirectory, Path.Combine(context.Worktree, ".git") };
        readOnly.AddRange(ExperimentRunner.ReadOnlyBinds(context.Worktree, readOnlyFiles));
        var hidden = new List<string>
        {
            Path.Combine(context.Spec.Root, ".autoresearch"),
            Path.GetDirectoryName(Records.LedgerKey.DefaultDirectory)!,
        };
        hidden.AddRange(context.Spec.Score.Hidden.Select(h => Path.IsPathRooted(h) ? h : Path.Combine(context.Worktree, h)));
        if (context.Spec.Score.Mode == ScoreMode.Trusted && context.Spec.Score.Data is { } data)
        {
            hidden.Add(TrustedData.Expand(data, Environment.GetEnvironmentVariable));
        }

        return Sandbox.Prepare(
            SandboxSpec.Bwrap,
            new SandboxMounts(context.Worktree, writable, readOnly, hidden.Where(h => h.Length > 0).ToList()),
            agent.Timeout,
            network: agent.Network,
            missing: MissingBwrap);
    }

    private static string Expand(string path, string home) =>
        path == "~" ? home : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(home, path[2..]) : Path.GetFullPath(path);

    /// <summary>Single-quotes <paramref name="value"/> for bash.</summary>
    internal static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
