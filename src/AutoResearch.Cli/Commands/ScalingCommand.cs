using System.ComponentModel;
using System.Globalization;
using AutoResearch.Core;
using AutoResearch.Swarm.Simulator;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary><c>autoresearch swarm scaling</c>: the same simulation at several worker counts; time to target, speed-up, plot.</summary>
internal sealed class ScalingCommand : AsyncCommand<ScalingCommand.Settings>
{
    internal sealed class Settings : SimulationSettings
    {
        [CommandOption("--workers <LIST>")]
        [Description("Comma list of honest worker counts, starting with 1 (one worker alone, the baseline). Default 1,4,16,64,256,1000.")]
        public string Workers { get; init; } = "1,4,16,64,256,1000";

        [CommandOption("--out <DIR>")]
        [Description("Where scaling.md and scaling.png are written. Default: the current folder.")]
        public string Output { get; init; } = ".";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var counts = new List<int>();
        var problems = new List<string>();
        foreach (var part in settings.Workers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                counts.Add(n);
            }
            else
            {
                problems.Add($"--workers: '{part}' is not a worker count (expected a comma list such as 1,4,16)");
            }
        }

        var options = new ScalingOptions { Workers = counts, Simulation = settings.Options(), Output = settings.Output };
        problems.AddRange(problems.Count == 0 ? options.Validate() : []);
        if (problems.Count > 0)
        {
            throw new SpecException("command line", problems);
        }

        var rows = await new ScalingStudy(options, Console.Out).RunAsync(cancellationToken);
        return rows.All(r => r.Report.FraudulentAccepted == 0) ? Entry.Ok : Entry.Failure;
    }
}
