using AutoResearch.Cli.Commands;
using AutoResearch.Core;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoResearch.Cli;

/// <summary>Parses, wires and runs a command; maps failures to exit codes (0 ok, 1 failure, 2 bad usage or config).</summary>
internal static class Entry
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;

    /// <summary>Every command by its name, for did-you-mean suggestions.</summary>
    private static readonly Dictionary<string, Type> s_commands = new(StringComparer.Ordinal)
    {
        ["init"] = typeof(InitCommand),
        ["run"] = typeof(RunCommand),
        ["status"] = typeof(StatusCommand),
        ["log"] = typeof(LogCommand),
        ["show"] = typeof(ShowCommand),
        ["plot"] = typeof(PlotCommand),
        ["dashboard"] = typeof(DashboardCommand),
        ["coordinator"] = typeof(CoordinatorCommand),
        ["worker"] = typeof(WorkerCommand),
        ["swarm"] = typeof(SimulateCommand),
        ["simulate"] = typeof(SimulateCommand),
        ["scaling"] = typeof(ScalingCommand),
    };

    /// <summary>The tool's version (the package's informational version, without the source revision).</summary>
    public static string Version =>
        (System.Reflection.CustomAttributeExtensions.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>(typeof(Entry).Assembly)?.InformationalVersion
            ?? typeof(Entry).Assembly.GetName().Version?.ToString() ?? "unknown").Split('+')[0];

    public static async Task<int> RunAsync(string[] args, IAnsiConsole? console = null)
    {
        // After `dotnet tool update`, workspaces reach the new version's libraries through this link.
        LibraryLink.Refresh();
        // Commands that messages of the libraries print are typed the way this user starts the tool.
        ToolCommand.Self = Invocation.Self;
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("autoresearch");
            config.SetApplicationVersion(Version);
            // A typo in an option is an error, never an option silently ignored (`--max-experimets 1` would run all night).
            config.UseStrictParsing();
            config.PropagateExceptions();
            if (console is not null)
            {
                config.ConfigureConsole(console);
            }

            config.AddCommand<InitCommand>("init").WithDescription("Make a workspace from a template (empty, karpathy, tinygpt).");
            config.AddCommand<RunCommand>("run").WithDescription("Run the research loop on a workspace; resumes an interrupted run.");
            config.AddCommand<StatusCommand>("status").WithDescription("Show the spec and the runs of a workspace.");
            config.AddCommand<LogCommand>("log").WithDescription("List a run's experiments.");
            config.AddCommand<ShowCommand>("show").WithDescription("Show one experiment: metrics, diff, log tail.");
            config.AddCommand<PlotCommand>("plot").WithDescription("Draw a run's progress as a PNG chart.");
            config.AddCommand<DashboardCommand>("dashboard").WithDescription("Serve the web dashboard of a workspace (live while a run goes on).");
            config.AddCommand<CoordinatorCommand>("coordinator").WithDescription("Serve a project to a swarm of workers (AutoResearch at Home).");
            config.AddCommand<WorkerCommand>("worker").WithDescription("Join a swarm: explore, claim wins, verify others' claims.");
            config.AddBranch("swarm", swarm =>
            {
                swarm.AddCommand<SimulateCommand>("simulate")
                    .WithDescription("Simulate a swarm with adversaries against the real coordinator on loopback.");
                swarm.AddCommand<ScalingCommand>("scaling")
                    .WithDescription("Simulate the swarm at several worker counts: time to target, speed-up over one worker, a plot.");
            });
        });

        var output = console ?? AnsiConsole.Console;
        if (console is null && Console.IsOutputRedirected)
        {
            // Logs and pipes have no width; Spectre's default of 80 would wrap every table.
            output.Profile.Width = 200;
        }
        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            // First Ctrl-C stops gracefully (the run is killed and can be resumed); a second one exits at once.
            if (!cancellation.IsCancellationRequested)
            {
                e.Cancel = true;
                cancellation.Cancel();
            }
        };
        Console.CancelKeyPress += onCancel;
        // SIGTERM (kill, Slurm's time limit, `docker stop`, Kubernetes) stops as gracefully as a first Ctrl-C: the running
        // experiment's process group is killed and recorded as interrupted, so nothing keeps training behind our back.
        using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            if (!cancellation.IsCancellationRequested)
            {
                context.Cancel = true;
                cancellation.Cancel();
            }
        });
        try
        {
            return await app.RunAsync(args, cancellation.Token);
        }
        catch (CommandAppException e)
        {
            // Spectre's parse and validation errors: the user typed something we do not understand.
            output.MarkupLineInterpolated($"[red]error:[/] {UsageHelp.Explain(e, args, s_commands)}");
            return Usage;
        }
        catch (AutoResearchException e)
        {
            output.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            if (args.Contains("--verbose"))
            {
                output.WriteException(e);
            }

            return e.IsUsageError ? Usage : Failure;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            output.MarkupLineInterpolated($"[yellow]interrupted[/]: run `{Invocation.Command("run")}` again to resume");
            return Failure;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
