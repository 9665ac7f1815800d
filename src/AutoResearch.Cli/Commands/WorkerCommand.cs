using System.ComponentModel;
using AutoResearch.Core;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Worker;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary><c>autoresearch worker</c>: joins a swarm with a clone of its project.</summary>
internal sealed class WorkerCommand(IAnsiConsole console) : AsyncCommand<WorkerCommand.Settings>
{
    internal sealed class Settings : CommandSettings
    {
        [CommandOption("--coordinator <URL>")]
        [Description("The coordinator, e.g. http://host:8787.")]
        public string Coordinator { get; init; } = "";

        [CommandOption("--workspace <DIR>")]
        [Description("A clone of the project (git clone of the coordinator's workspace). Default: the current folder.")]
        public string Workspace { get; init; } = ".";

        [CommandOption("--agent <KIND>")]
        [Description("The proposer: search (built in, the default) or cli. Overrides [[agent]] kind.")]
        public string? Agent { get; init; }

        [CommandOption("--agent-command <TEMPLATE>")]
        [Description("For --agent cli: the command; {prompt} becomes the prompt file's path.")]
        public string? AgentCommand { get; init; }

        [CommandOption("--parallel <N>")]
        [Description("Leases worked on at once, each in its own worktree. Default 1.")]
        public int Parallel { get; init; } = 1;

        [CommandOption("--key <PATH>")]
        [Description("The worker's Ed25519 key; made on first use. Default: ~/.autoresearch/worker.key.")]
        public string? Key { get; init; }

        [CommandOption("--owner <NAME>")]
        [Description("Who runs this key, for your own logs: the coordinator makes each key its own owner unless its operator links keys (--link-owner). Default: the user name.")]
        public string? Owner { get; init; }

        [CommandOption("--invite <TOKEN>")]
        [Description("The invitation token of a swarm that registers new keys by invitation only.")]
        public string? Invite { get; init; }

        [CommandOption("--no-verify")]
        [Description("Only explore; never take others' code to verify.")]
        public bool NoVerify { get; init; }

        [CommandOption("--holdout <FILE>")]
        [Description("For the project owner's trusted verifiers: a private corpus that verification also scores on (as [[score]] data); never sent to other workers. Needs [[score]] mode = \"trusted\" with serve.")]
        public string? Holdout { get; init; }

        [CommandOption("--max-leases <N>")]
        [Description("Stop after N leases (a Slurm array task, a Kubernetes Job).")]
        public int? MaxLeases { get; init; }

        [CommandOption("--verbose")]
        [Description("Print full error details.")]
        public bool Verbose { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(settings.Coordinator, UriKind.Absolute, out var coordinator))
        {
            throw new SpecException("command line", [$"--coordinator '{settings.Coordinator}' is not an address; e.g. --coordinator http://host:8787"]);
        }

        var workspace = await GitWorkspace.OpenAsync(settings.Workspace, cancellationToken);
        var spec = SpecLoader.Load(workspace.Root);
        // Every swarm run executes others' code (a claim, or a head built from the chain): no bubblewrap, no worker.
        if (OthersCode.Problem() is { } sandboxProblem)
        {
            throw new ResearchException(sandboxProblem);
        }

        ResearchSpec? holdout = null;
        if (settings.Holdout is { } holdoutPath)
        {
            (holdout, var holdoutProblem) = OthersCode.Holdout(spec, holdoutPath);
            if (holdoutProblem is not null)
            {
                throw new SpecException("command line", [holdoutProblem]);
            }
        }

        var options = new WorkerOptions
        {
            Coordinator = new Uri(coordinator.ToString().TrimEnd('/') + "/"),
            Owner = settings.Owner ?? Environment.UserName,
            Invite = settings.Invite,
            Parallel = settings.Parallel,
            Verify = !settings.NoVerify,
            MaxLeases = settings.MaxLeases,
        };
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new SpecException("command line", problems);
        }

        var keyPath = settings.Key ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".autoresearch", "worker.key");
        using var key = WorkerKey.LoadOrCreate(keyPath);
        using var http = new HttpClient { BaseAddress = options.Coordinator, Timeout = TimeSpan.FromSeconds(100) };
        var client = new SwarmClient(http, key);
        // Registered here first (again by the worker, which is free) to learn the project's token budget before any run.
        var project = (await client.RegisterAsync(new Swarm.Protocol.Messages.RegisterRequest(options.Owner, options.Name, options.Invite), cancellationToken)).Project;
        var environment = RunEnvironment.For(project, new Dictionary<string, string?> { ["AUTORESEARCH_LIB"] = Paths.Library });
        SwarmWorker? worker = null;
        var engines = Enumerable.Range(0, options.Parallel)
            .Select(slot => new GitEngine(spec, workspace, ProposerFactory.Create(spec, settings.Agent, settings.AgentCommand), slot, environment, holdout,
                proposalSalt: BitConverter.ToInt32(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key.PublicKey))),
                swarmSigma: () => worker?.Sigma))
            .ToList();
        var next = -1;
        var engine = new SlotEngines(engines, () => Interlocked.Increment(ref next));
        console.MarkupLineInterpolated($"[bold]worker[/] {key.PublicKey} (owner {options.Owner}) joining {options.Coordinator} with {options.Parallel} slot(s)");
        if (project.TokenBudget is { } tokens)
        {
            console.MarkupLineInterpolated($"training budget: {tokens} tokens per run ({RunEnvironment.TokenBudget})");
        }
        if (holdout is not null)
        {
            console.MarkupLineInterpolated($"trusted verifier: also scoring on the holdout {holdout.Score.Data}");
        }

        worker = new SwarmWorker(client, engine, options);
        await worker.RunAsync(cancellationToken);
        console.MarkupLineInterpolated(
            $"done: {worker.Stats.Explorations} explorations, {worker.Stats.Claims} claims, {worker.Stats.Verifications} verifications");
        return Entry.Ok;
    }

    /// <summary>Hands each call to a free slot's engine (each slot owns a worktree).</summary>
    private sealed class SlotEngines(IReadOnlyList<GitEngine> engines, Func<int> next) : IExperimentEngine
    {
        private readonly SemaphoreSlim[] _locks = engines.Select(_ => new SemaphoreSlim(1, 1)).ToArray();

        public Task<Exploration> ExploreAsync(HeadSnapshot head, int seed, CancellationToken cancellationToken = default) =>
            WithSlotAsync(e => e.ExploreAsync(head, seed, cancellationToken), cancellationToken);

        public Task<Verification> VerifyAsync(HeadSnapshot head, string patch, int seed, bool holdout, CancellationToken cancellationToken = default) =>
            WithSlotAsync(e => e.VerifyAsync(head, patch, seed, holdout, cancellationToken), cancellationToken);

        public Task<Measurement> MeasureAsync(HeadSnapshot head, int seed, CancellationToken cancellationToken = default) =>
            WithSlotAsync(e => e.MeasureAsync(head, seed, cancellationToken), cancellationToken);

        private async Task<T> WithSlotAsync<T>(Func<GitEngine, Task<T>> work, CancellationToken cancellationToken)
        {
            var start = (next() & int.MaxValue) % engines.Count;
            await _locks[start].WaitAsync(cancellationToken);
            try
            {
                return await work(engines[start]);
            }
            finally
            {
                _locks[start].Release();
            }
        }
    }
}
