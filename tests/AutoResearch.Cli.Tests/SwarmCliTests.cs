using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AutoResearch.Cli.Tests.Support;
using AutoResearch.Tests.Support;

namespace AutoResearch.Cli.Tests;

/// <summary>
/// The real commands end to end: `autoresearch coordinator` over SQLite and three `autoresearch worker` processes (three
/// owners, each with its own clone and key) on the toy workspace, whose score is X. Each worker's agent lowers X by one; a
/// win is claimed, verified by the two other owners in bubblewrap, and appended to the chain; the coordinator is killed and
/// restarted on the same database, and the workers carry on.
/// </summary>
public sealed class SwarmCliTests
{
    [Fact]
    public async Task Workers_join_a_coordinator_claim_verify_each_other_and_grow_the_chain()
    {
        using var toy = new ToyWorkspace(x: 100);
        var port = SwarmHttp.FreePort();
        var address = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        var processes = new List<Process>();
        var logs = new List<string>();
        Process Start(string name, params string[] args)
        {
            var log = Path.Combine(toy.Scratch, name + ".log");
            logs.Add(log);
            var process = CliRunner.Start(log, args);
            processes.Add(process);
            return process;
        }

        string Logs() => string.Join("\n", logs.Where(File.Exists).Select(l => $"== {Path.GetFileName(l)}\n{File.ReadAllText(l)}"));

        try
        {
            var coordinator = Start("coordinator", "coordinator", "--project", toy.Root, "--db", $"sqlite:{Path.Combine(toy.Scratch, "swarm.db")}",
                "--port", port.ToString(CultureInfo.InvariantCulture));
            using var http = new HttpClient { BaseAddress = new Uri(address + "/"), Timeout = TimeSpan.FromSeconds(10) };
            await SwarmHttp.WaitAsync(async () => (await SwarmHttp.TryGetAsync(http, "v1/health")) is not null, TimeSpan.FromSeconds(60), () => "coordinator never answered\n" + Logs());

            const string Agent = """x=$(sed -n 's/^X=//p' knobs.sh); sed -i "s/^X=.*/X=$((x - 1))/" knobs.sh; echo "X $x -> $((x - 1))" """;
            foreach (var owner in new[] { "ada", "bo", "cy" })
            {
                var clone = Path.Combine(toy.Scratch, owner);
                TempGitRepo.Run(toy.Scratch, "clone", "-q", toy.Root, clone);
                Start(owner, "worker", "--coordinator", address, "--workspace", clone, "--owner", owner, "--key", Path.Combine(toy.Scratch, owner + ".key"),
                    "--agent", "cli", "--agent-command", Agent, "--max-leases", "60");
            }

            JsonElement[] chain = [];
            await SwarmHttp.WaitAsync(async () =>
            {
                Assert.False(coordinator.HasExited, "the coordinator exited\n" + Logs());
                chain = (await SwarmHttp.TryGetAsync(http, "v1/chain?after=0"))?.EnumerateArray().ToArray() ?? [];
                return chain.Length > 0;
            }, TimeSpan.FromSeconds(150), () => "no claim reached the chain\n" + Logs());

            var first = chain[0];
            Assert.Contains("-X=100", first.GetProperty("patch").GetString(), StringComparison.Ordinal);
            Assert.Contains("+X=99", first.GetProperty("patch").GetString(), StringComparison.Ordinal);
            Assert.Equal(99, first.GetProperty("metric").GetDouble());
            Assert.Equal(2, first.GetProperty("verifications").GetInt32());
            var board = (await SwarmHttp.TryGetAsync(http, "v1/leaderboard"))!.Value.EnumerateArray().ToArray();
            Assert.Contains(board, e => e.GetProperty("worker").GetString() == first.GetProperty("worker").GetString()
                && e.GetProperty("improvement_credit").GetDouble() > 0);
            Assert.True(board.Count(e => e.GetProperty("verification_credit").GetDouble() > 0) >= 2, Logs());
            // Others' code ran sandboxed on the verifiers.
            Assert.Contains("sandbox: bwrap", string.Concat(Directory.EnumerateFiles(toy.Scratch, "run*.log", SearchOption.AllDirectories).Select(File.ReadAllText)),
                StringComparison.Ordinal);

            // kill -9 the coordinator and start it again on the same database: the workers ride it out and the chain goes on
            // from where it was, nothing lost.
            var length = (await SwarmHttp.TryGetAsync(http, "v1/chain?after=0"))!.Value.GetArrayLength();
            coordinator.Kill(entireProcessTree: true);
            await coordinator.WaitForExitAsync();
            coordinator = Start("coordinator-2", "coordinator", "--project", toy.Root, "--db", $"sqlite:{Path.Combine(toy.Scratch, "swarm.db")}",
                "--port", port.ToString(CultureInfo.InvariantCulture));
            await SwarmHttp.WaitAsync(async () =>
            {
                Assert.False(coordinator.HasExited, "the restarted coordinator exited\n" + Logs());
                chain = (await SwarmHttp.TryGetAsync(http, "v1/chain?after=0"))?.EnumerateArray().ToArray() ?? [];
                return chain.Length > length;
            }, TimeSpan.FromSeconds(150), () => "the chain did not grow after the restart\n" + Logs());
            Assert.Equal(first.GetProperty("head_id").GetString(), chain[0].GetProperty("head_id").GetString());
            Assert.Equal(Enumerable.Range(1, chain.Length), chain.Select(l => l.GetProperty("sequence").GetInt32()));
        }
        finally
        {
            await SwarmHttp.StopAsync(processes);
        }
    }
}
