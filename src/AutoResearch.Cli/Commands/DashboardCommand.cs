using System.ComponentModel;
using System.Net;
using AutoResearch.Core;
using AutoResearch.Core.Workspace;
using AutoResearch.Web.Dashboard;
using Spectre.Console;
using Spectre.Console.Cli;

namespace AutoResearch.Cli.Commands;

/// <summary><c>autoresearch dashboard [DIR] --port P</c>: the web dashboard over a workspace's ledger, until Ctrl-C.</summary>
internal sealed class DashboardCommand(IAnsiConsole console) : AsyncCommand<DashboardCommand.Settings>
{
    internal sealed class Settings : WorkspaceSettings
    {
        [CommandOption("--port <PORT>")]
        [Description("The port to listen on; default 8321 (0 picks a free one).")]
        public int Port { get; init; } = 8321;

        [CommandOption("--host <ADDRESS>")]
        [Description("The address to bind; default 127.0.0.1 (this machine only). 0.0.0.0 serves the network: the pages show your code and logs.")]
        public string Host { get; init; } = "127.0.0.1";

        public override ValidationResult Validate()
        {
            var problems = new List<string>();
            if (Port is < 0 or > 65535)
            {
                problems.Add($"--port {Port} must be from 0 to 65535");
            }

            if (!IPAddress.TryParse(Host, out _))
            {
                problems.Add($"--host \"{Host}\" must be an IP address (127.0.0.1, 0.0.0.0, ::1)");
            }

            return problems.Count > 0 ? ValidationResult.Error(string.Join("; ", problems)) : ValidationResult.Success();
        }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var workspace = await GitWorkspace.OpenAsync(settings.Directory, cancellationToken);
        using var source = new LedgerSource(Path.Combine(workspace.StateDirectory, "ledger.db"));
        var options = new DashboardOptions { Experiments = source, Title = $"autoresearch · {Path.GetFileName(workspace.Root)}" };
        DashboardServer server;
        try
        {
            server = await DashboardServer.StartAsync(options, IPAddress.Parse(settings.Host), settings.Port, cancellationToken);
        }
        catch (IOException e)
        {
            // Kestrel reports a taken port as an IOException (AddressInUseException).
            throw new WorkspaceException($"cannot listen on {settings.Host}:{settings.Port} ({e.Message}); choose another --port (0 picks a free one)");
        }

        await using (server)
        {
            console.MarkupLineInterpolated($"dashboard of [bold]{workspace.Root}[/] at [link]{server.Address}[/] (Ctrl-C to stop)");
            try
            {
                await server.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl-C: the normal way to stop serving.
            }
        }

        return Entry.Ok;
    }
}
