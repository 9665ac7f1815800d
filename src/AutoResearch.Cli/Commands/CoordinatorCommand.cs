using System.ComponentModel;
using AutoResearch.Core;
using AutoResearch.Swarm.Coordinator;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary><c>autoresearch coordinator</c>: serves one project to a swarm over SQLite or PostgreSQL.</summary>
internal sealed class CoordinatorCommand(IAnsiConsole console) : AsyncCommand<CoordinatorCommand.Settings>
{
    internal sealed class Settings : CommandSettings
    {
        [CommandOption("--project <DIR>")]
        [Description("The workspace whose spec the swarm works on (a committed git repository with autoresearch.toml). Default: the current folder.")]
        public string Project { get; init; } = ".";

        [CommandOption("--db <TARGET>")]
        [Description("sqlite:PATH or postgres://user:password@host:port/database. Default: sqlite:DIR/.autoresearch/swarm.db.")]
        public string? Database { get; init; }

        [CommandOption("--port <P>")]
        [Description("The TCP port to listen on. Default 8787.")]
        public int Port { get; init; } = 8787;

        [CommandOption("--listen <ADDRESS>")]
        [Description("The IP address to listen on: 0.0.0.0 or :: for every interface, so workers on other machines can join. Default 127.0.0.1 (this machine only).")]
        public string Listen { get; init; } = "127.0.0.1";

        [CommandOption("--invite <TOKEN>")]
        [Description("An invitation token (repeatable, 16+ characters): new keys register only with one (`autoresearch worker --invite TOKEN`). Default: open registration.")]
        public string[] Invites { get; init; } = [];

        [CommandOption("--link-owner <KEY=OWNER>")]
        [Description("Links a key to a named owner (repeatable): one owner's keys never verify each other and share its verification slots. Default: each key is its own owner.")]
        public string[] OwnerLinks { get; init; } = [];

        [CommandOption("--registrations-per-minute <N>")]
        [Description("New keys accepted per minute from all addresses together. Default 120.")]
        public double RegistrationsPerMinute { get; init; } = 120;

        [CommandOption("--registrations-per-address <N>")]
        [Description("New keys accepted per minute from one IP address. Default 10.")]
        public double RegistrationsPerAddress { get; init; } = 10;

        [CommandOption("--trusted-key <KEY>")]
        [Description("A public key of the project owner's machines (repeatable): trusted verifiers score on the holdout and count for more.")]
        public string[] TrustedKeys { get; init; } = [];

        [CommandOption("--lease-minutes <M>")]
        [Description("How long a lease is held before it is offered again. Default: twice the run timeout plus one minute.")]
        public double? LeaseMinutes { get; init; }

        [CommandOption("--verification-budget <SHARE>")]
        [Description("The most share of each worker's leases that go to verifying claims (0 to 1); beyond it claims wait their turn. Default 0.2.")]
        public double VerificationBudget { get; init; } = 0.2;

        [CommandOption("--noise-seeds <N>")]
        [Description("For a project that sets no sigma: at how many seeds the swarm runs the base to measure the noise before deciding any claim (0 does not measure). Default 5.")]
        public int NoiseSeeds { get; init; } = 5;

        [CommandOption("--verbose")]
        [Description("Print full error details.")]
        public bool Verbose { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var project = Path.GetFullPath(settings.Project);
        var options = new CoordinatorOptions
        {
            ProjectDirectory = project,
            Database = settings.Database ?? $"sqlite:{Path.Combine(project, Core.Workspace.GitWorkspace.StateFolder, "swarm.db")}",
            Port = settings.Port,
            Listen = settings.Listen,
            Invites = settings.Invites,
            Owners = settings.OwnerLinks.Select(l => l.Split('=', 2)).ToDictionary(p => p[0].Trim(), p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal),
            RegistrationsPerMinute = settings.RegistrationsPerMinute,
            RegistrationsPerMinutePerAddress = settings.RegistrationsPerAddress,
            TrustedKeys = settings.TrustedKeys,
            LeaseDuration = settings.LeaseMinutes is { } m ? TimeSpan.FromMinutes(m) : null,
            VerificationBudget = settings.VerificationBudget,
            NoiseSeeds = settings.NoiseSeeds,
        };
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new SpecException("command line", problems);
        }

        await using var host = await CoordinatorHost.StartAsync(options, cancellationToken: cancellationToken);
        console.MarkupLineInterpolated(
            $"[bold]coordinator[/] for {host.Project.Name} ({host.Project.Spec.Objective.Metric}, base {host.Project.BaseCommit[..12]}) on {host.Address}, {DatabaseTarget.Parse(options.Database).Display}");
        console.MarkupLine("workers join with [bold]autoresearch worker --coordinator http://HOST:PORT[/]; Ctrl-C stops");
        await host.WaitAsync(cancellationToken);
        return Entry.Ok;
    }
}
