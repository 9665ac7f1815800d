using System.Net;
using System.Net.Sockets;
using AutoResearch.Cli.Tests.Support;
using AutoResearch.Tests.Support;

namespace AutoResearch.Cli.Tests;

public sealed class NotifyCommandTests
{
    [Fact]
    public async Task Run_with_an_unreachable_webhook_says_so_and_finishes()
    {
        using var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var toy = new ToyWorkspace(x: 10, extraToml: $"""

            [notify]
            webhook = "http://127.0.0.1:{port}/hook"
            """);
        toy.Plan(ToyWorkspace.SetX(4));

        var (code, output) = await CliRunner.RunAsync("run", toy.Root, "--agent", "cli", "--agent-command", toy.AgentCommand, "--max-experiments", "1", "--plain");

        Assert.Equal(0, code);
        Assert.Contains("could not post the new_best notification", output, StringComparison.Ordinal);
        Assert.Contains("could not post the run_finished notification", output, StringComparison.Ordinal);
        Assert.Contains("reached --max-experiments 1", output, StringComparison.Ordinal);
    }
}
