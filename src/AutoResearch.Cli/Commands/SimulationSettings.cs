using System.ComponentModel;
using AutoResearch.Swarm.Simulator;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary>The settings <c>swarm simulate</c> and <c>swarm scaling</c> share: everything but the worker count.</summary>
internal abstract class SimulationSettings : CommandSettings
{
    [CommandOption("--adversaries <SPEC>")]
    [Description("all, none, or kind[[:count]],... of fabricator, forger, replayer, lazy, colluder (pairs), smuggler, thief, liar. Default all.")]
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

    [CommandOption("--knobs <K>")]
    [Description("The synthetic objective's knobs (its dimension: independent changes that each help). Default 8.")]
    public int Knobs { get; init; } = 8;

    [CommandOption("--seed <N>")]
    [Description("Seeds the objective and the proposals. Default 1.")]
    public int Seed { get; init; } = 1;

    [CommandOption("--verbose")]
    [Description("Print full error details.")]
    public bool Verbose { get; init; }

    /// <summary>The simulation these settings describe (its worker count left at the default).</summary>
    public SimulationOptions Options() => new()
    {
        Adversaries = Adversaries,
        Duration = TimeSpan.FromMinutes(Minutes),
        Database = Database,
        RunTime = TimeSpan.FromMilliseconds(RunMs),
        Sigma = Sigma,
        Trusted = Trusted,
        Seed = Seed,
        Knobs = Knobs,
    };
}
