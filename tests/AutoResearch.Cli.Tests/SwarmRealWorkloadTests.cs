using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using AutoResearch.Cli.Tests.Support;
using AutoResearch.Tests.Support;

namespace AutoResearch.Cli.Tests;

/// <summary>
/// The swarm on the real workload, CI-sized (bench/swarm-real is the 30-minute version): `autoresearch coordinator` and two
/// `autoresearch worker` processes of two owners on the tinygpt template with a tiny token budget, every swarm run trained
/// and scored (trusted val_bpb) in bubblewrap. The project states no σ, so the swarm first measures it on the base; then a
/// worker's change (its agent halves the batch size: more steps in the same tokens) is claimed, verified by the other
/// worker, and appended only because it beats the measured noise.
/// </summary>
public sealed class SwarmRealWorkloadTests : IDisposable
{
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "swarm-real-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
            // A run's leftovers still being written by a killed process: the temp folder is cleaned later.
        }
    }

    [Fact]
    public async Task Two_workers_measure_the_noise_then_grow_the_chain_with_a_real_val_bpb_gain_verified_by_the_other()
    {
        Directory.CreateDirectory(_scratch);
        var corpus = Path.Combine(_scratch, "corpus.txt");
        await File.WriteAllTextAsync(corpus, string.Concat(Enumerable.Repeat("To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n", 400)));
        // No data home under /tmp (the tests' one): the sandbox's private /tmp would leave `dotnet` in it without its folders.
        var environment = new Dictionary<string, string> { ["AUTORESEARCH_DATA"] = corpus, ["XDG_DATA_HOME"] = "" };
        var processes = new List<Process>();
        var logs = new List<string>();
        Process Start(string name, params string[] args)
        {
            var log = Path.Combine(_scratch, name + ".log");
            logs.Add(log);
            var process = CliRunner.Start(log, environment, args);
            processes.Add(process);
            return process;
        }

        // The processes' output, and the end of the latest runs' logs (a run that fails in the sandbox says why there).
        string Logs() => string.Join("\n", logs.Where(File.Exists).Select(l => $"== {Path.GetFileName(l)}\n{File.ReadAllText(l)}")
            .Concat(Directory.EnumerateFiles(_scratch, "run.log", SearchOption.AllDirectories).Order(StringComparer.Ordinal).TakeLast(3)
                .Select(l => $"== {l}\n{string.Join('\n', File.ReadAllLines(l).TakeLast(15))}")));

        try
        {
            var project = Path.Combine(_scratch, "proj");
            var init = Start("init", "init", project, "--template", "tinygpt");
            await init.WaitForExitAsync();
            Assert.True(init.ExitCode == 0, Logs());
            await File.AppendAllTextAsync(Path.Combine(project, "autoresearch.toml"), "\n[swarm]\nverifiers = 1\ntoken_budget = 32768\n");
            TempGitRepo.Run(project, "add", "-A");
            TempGitRepo.Run(project, "commit", "-q", "-m", "swarm settings");

            var port = SwarmHttp.FreePort().ToString(CultureInfo.InvariantCulture);
            var coordinator = Start("coordinator", "coordinator", "--project", project, "--port", port, "--noise-seeds", "2");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
            await SwarmHttp.WaitAsync(async () => (await SwarmHttp.TryGetAsync(http, "v1/health")) is not null, TimeSpan.FromSeconds(60),
                () => "coordinator never answered\n" + Logs());

            const string Agent = """b=$(sed -n 's/^const int BATCH_SIZE = \([0-9]*\);.*/\1/p' train.cs); sed -i "s/^const int BATCH_SIZE = $b;/const int BATCH_SIZE = $((b / 2));/" train.cs; echo "batch size $b -> $((b / 2))" """;
            foreach (var owner in new[] { "ada", "bo" })
            {
                var clone = Path.Combine(_scratch, owner);
                TempGitRepo.Run(_scratch, "clone", "-q", project, clone);
                Start(owner, "worker", "--coordinator", $"http://127.0.0.1:{port}", "--workspace", clone, "--owner", owner,
                    "--key", Path.Combine(_scratch, owner + ".key"), "--agent", "cli", "--agent-command", Agent);
            }

            JsonElement[] chain = [];
            await SwarmHttp.WaitAsync(async () =>
            {
                Assert.False(coordinator.HasExited, "the coordinator exited\n" + Logs());
                chain = (await SwarmHttp.TryGetAsync(http, "v1/chain?after=0"))?.EnumerateArray().ToArray() ?? [];
                return chain.Length > 0;
            }, TimeSpan.FromMinutes(6), () => "no claim reached the chain\n" + Logs());

            var sigma = (await SwarmHttp.TryGetAsync(http, "v1/project"))!.Value.GetProperty("sigma").GetDouble();
            var link = chain[0];
            Assert.Contains("+const int BATCH_SIZE = 8;", link.GetProperty("patch").GetString(), StringComparison.Ordinal);
            Assert.True(sigma > 0, "the measured noise is 0: two seeds gave the same val_bpb\n" + Logs());
            Assert.True(link.GetProperty("improvement").GetDouble() > 2 * sigma, $"gain {link.GetProperty("improvement")} vs σ {sigma}");
            Assert.Equal(1, link.GetProperty("verifications").GetInt32());
            var board = (await SwarmHttp.TryGetAsync(http, "v1/leaderboard"))!.Value.EnumerateArray().ToArray();
            var claimer = link.GetProperty("worker").GetString();
            Assert.Contains(board, e => e.GetProperty("worker").GetString() != claimer && e.GetProperty("verification_credit").GetDouble() > 0);

            // Every swarm run, the noise runs included, trained in bubblewrap and was scored by the harness, not by train.cs.
            var runLogs = Directory.EnumerateFiles(_scratch, "run.log", SearchOption.AllDirectories)
                .Where(p => p.Contains($"{Path.DirectorySeparatorChar}swarm{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .Select(File.ReadAllText).Where(t => t.Contains("trusted val_bpb", StringComparison.Ordinal)).ToList();
            Assert.True(runLogs.Count >= 4, Logs());
            Assert.All(runLogs, t => Assert.StartsWith("[autoresearch] sandbox: bwrap", t, StringComparison.Ordinal));
        }
        finally
        {
            await SwarmHttp.StopAsync(processes);
        }
    }
}
