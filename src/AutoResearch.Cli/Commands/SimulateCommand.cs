using System.ComponentModel;
using AutoResearch.Core;
using AutoResearch.Swarm.Simulator;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary><c>autoresearch swarm simulate</c>: the real coordinator on loopback with virtual workers and adversaries.</summary>
internal sealed class SimulateCommand : AsyncCommand<SimulateCommand.Settings>
{
    internal sealed class Settings : CommandSettings
    {
        [CommandOption("--workers <N>")]
        [Description("Honest virtual workers. Default 20.")]
        public int Workers { get; init; } = 20;

        [CommandOption("--adversaries <SPEC>")]
        [Description("all, none, or kind[[:count]],... of fabricator, forger, replayer, lazy, colluder (pairs), smuggler. Default all.")]
        public string Adversaries { get; init; } = "all";

        [CommandOption("--minutes <M>")]
        [Description("How long to run. Default 1.")]
        public double Minutes { get; init; } = 1;

        [CommandOption("--db <TARGET>")]
        [Description("sqlite:PATH or postgres://... (its swarm tables are dropped first). Default: a temporary SQLite file.")]
        public string? Database { get; init; }

        [CommandOption("--run-ms <MS>")]
        [Description("Wall time of one synthetic training run. Default 200.")]
        public int RunMs { get; init; } = 200;

        [CommandOption("--sigma <S>")]
        [Description("The synthetic objective's noise σ. Default 0.01.")]
        public double Sigma { get; init; } = 0.01;

        [CommandOption("--trusted <N>")]
        [Description("Trusted verifiers among the honest workers. Default: one per 50 workers, at least 1.")]
        public int? Trusted { get; init; }

        [CommandOption("--seed <N>")]
        [Description("Seeds the objective and the proposals. Default 1.")]
        public int Seed { get; init; } = 1;

        [CommandOption("--verbose")]
        [Description("Print full error details.")]
        public bool Verbose { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = new SimulationOptions
        {
            Workers = settings.Workers,
            Adversaries = settings.Adversaries,
            Duration = TimeSpan.FromMinutes(settings.Minutes),
            Database = settings.Database,
            RunTime = TimeSpan.FromMilliseconds(settings.RunMs),
            Sigma = settings.Sigma,
            Trusted = settings.Trusted,
            Seed = settings.Seed,
        };
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new SpecException("command line", problems);
        }

        var report = await new Simulation(options, Console.Out).RunAsync(cancellationToken);
        return report.FraudulentAccepted == 0 ? Entry.Ok : Entry.Failure;
    }
}
