using System.ComponentModel;
using AutoResearch.Core;
using AutoResearch.Swarm.Simulator;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary><c>autoresearch swarm simulate</c>: the real coordinator on loopback with virtual workers and adversaries.</summary>
internal sealed class SimulateCommand : AsyncCommand<SimulateCommand.Settings>
{
    internal sealed class Settings : SimulationSettings
    {
        [CommandOption("--workers <N>")]
        [Description("Honest virtual workers; 1 is one worker alone, without coordinator or verification. Default 20.")]
        public int Workers { get; init; } = 20;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = settings.Options() with { Workers = settings.Workers };
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new SpecException("command line", problems);
        }

        var report = await new Simulation(options, Console.Out).RunAsync(cancellationToken);
        return report.FraudulentAccepted == 0 ? Entry.Ok : Entry.Failure;
    }
}
