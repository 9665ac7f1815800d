using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Running;

/// <summary>Hostile commands under <c>[run] sandbox = "bwrap"</c>, each stopped with a clear status and message.</summary>
public sealed class SandboxTests
{
    [Fact]
    public async Task Sandboxed_run_writes_its_worktree_and_run_directory_but_nothing_else()
    {
        using var toy = new ToyWorkspace();
        var outside = Path.Combine(toy.Scratch, "outside.txt");
        var runDir = Path.Combine(toy.Scratch, "run");
        var spec = SpecWith(toy, $$"""
            '''echo in > inside.txt && echo run > "$AUTORESEARCH_RUN_DIR/note.txt" && echo ok-inside
            echo x > {{outside}} 2>/dev/null
            echo x > /etc/autoresearch-escape 2>/dev/null || echo refused-root
            echo x > /tmp/private && echo tmp-writable
            echo "score: 1"'''
            """);

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, runDir, 1, 1);

        var log = File.ReadAllText(result.LogPath);
        Assert.Equal(1, result.Metric);
        Assert.Contains("ok-inside", log, StringComparison.Ordinal);
        // Under /tmp, the write lands in the sandbox's private /tmp; elsewhere the root is read-only.
        Assert.Contains("refused-root", log, StringComparison.Ordinal);
        Assert.Contains("tmp-writable", log, StringComparison.Ordinal);
        Assert.Contains("[autoresearch] sandbox: bwrap", log, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(toy.Root, "inside.txt")));
        Assert.True(File.Exists(Path.Combine(runDir, "note.txt")));
        Assert.False(File.Exists(outside));
        Assert.False(File.Exists("/etc/autoresearch-escape"));
        Assert.False(File.Exists("/tmp/private"));
    }

    [Fact]
    public async Task Sandboxed_run_has_no_network()
    {
        using var toy = new ToyWorkspace();
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        // The same connection succeeds outside the sandbox, so its failure inside is the sandbox's doing.
        var command = $"'''(exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && echo connected || echo no-network; echo \"score: 1\"'''";
        var open = SpecWith(toy, command, sandbox: "none");
        var closed = SpecWith(toy, command);

        var outsideLog = File.ReadAllText((await new ExperimentRunner(open).RunAsync(toy.Root, Path.Combine(toy.Scratch, "a"), 1, 1)).LogPath);
        var insideLog = File.ReadAllText((await new ExperimentRunner(closed).RunAsync(toy.Root, Path.Combine(toy.Scratch, "b"), 1, 1)).LogPath);

        Assert.Contains("connected", outsideLog, StringComparison.Ordinal);
        Assert.Contains("no-network", insideLog, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hidden_paths_and_the_harness_state_are_invisible_to_a_sandboxed_run()
    {
        using var toy = new ToyWorkspace();
        File.WriteAllText(Path.Combine(toy.Root, "secret.csv"), "answers");
        Directory.CreateDirectory(Path.Combine(toy.Root, ".autoresearch"));
        File.WriteAllText(Path.Combine(toy.Root, ".autoresearch", "ledger.db"), "ledger");
        var spec = SpecWith(toy, """'''echo "secret=[$(cat secret.csv)] ledger=[$(cat .autoresearch/ledger.db 2>&1)]"; echo "score: 1"'''""",
            extra: "[score]\nhidden = [\"secret.csv\"]\n");

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);

        var log = File.ReadAllText(result.LogPath);
        Assert.Contains("secret=[]", log, StringComparison.Ordinal);
        Assert.Contains("No such file", log, StringComparison.Ordinal);
        Assert.DoesNotContain("answers", log, StringComparison.Ordinal);
        Assert.Equal("answers", File.ReadAllText(Path.Combine(toy.Root, "secret.csv")));
    }

    [Fact]
    public async Task Fork_bomb_stops_at_the_process_limit_with_a_clear_message()
    {
        using var toy = new ToyWorkspace();
        var spec = SpecWith(toy, """'''for i in $(seq 1 200); do sleep 30 & done; wait; echo "score: 1"'''""", extra: "[limits]\nprocesses = 40\n");

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);

        Assert.Null(result.Metric);
        Assert.NotNull(result.LimitFailure);
        Assert.Contains("process limit of 40", result.LimitFailure, StringComparison.Ordinal);
        Assert.Contains("[limits] processes", result.LimitFailure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Allocation_past_the_memory_limit_is_killed_with_a_clear_message()
    {
        using var toy = new ToyWorkspace();
        var spec = SpecWith(toy, """'''python3 -c 'b = bytearray(400_000_000); print(len(b))'; echo "score: 1"'''""", extra: "[limits]\nmemory_mb = 100\n");

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);

        var log = File.ReadAllText(result.LogPath);
        Assert.DoesNotContain("400000000", log, StringComparison.Ordinal);
        Assert.Null(result.Metric);
        Assert.NotNull(result.LimitFailure);
        Assert.Contains("memory limit of 100 MB", result.LimitFailure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Timeout_kills_the_whole_sandbox()
    {
        using var toy = new ToyWorkspace();
        var marker = Path.Combine(toy.Scratch, "run", "late.txt");
        var spec = SpecWith(toy, $"'''(sleep 3; echo late > {marker}) & sleep 60'''", timeout: 1);

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);
        await Task.Delay(3500);

        Assert.True(result.TimedOut);
        Assert.False(File.Exists(marker), "a process of the sandbox outlived the timeout");
    }

    [Fact]
    public void Missing_bubblewrap_is_a_clear_error_that_says_how_to_install_it()
    {
        using var toy = new ToyWorkspace();

        var error = Assert.Throws<ResearchException>(() =>
            Sandbox.Prepare(SandboxSpec.Bwrap, new SandboxMounts(toy.Root, [toy.Root], [], []), TimeSpan.FromSeconds(1), searchPath: toy.Scratch));

        Assert.Contains("bubblewrap is not installed", error.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install bubblewrap", error.Message, StringComparison.Ordinal);
        Assert.Contains("[run] sandbox = \"none\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recovery_from_the_pgid_file_kills_a_sandbox_left_running()
    {
        using var toy = new ToyWorkspace();
        var runDir = Path.Combine(toy.Scratch, "run");
        Directory.CreateDirectory(runDir);
        var marker = Path.Combine(runDir, "late.txt");
        var log = Path.Combine(runDir, "run.log");
        using var sandbox = Sandbox.Prepare(SandboxSpec.Bwrap, new SandboxMounts(toy.Root, [toy.Root, runDir], [], []), TimeSpan.FromSeconds(30));
        // Left running as a harness killed with -9 would leave it: never waited for, never disposed.
        var group = ProcessGroup.Start($"sleep 3; echo late > {marker}", toy.Root, log, sandbox: sandbox);
        await Task.Delay(500);

        var killed = await ProcessGroup.KillLeftoverAsync(ProcessGroup.PidFile(log), toy.Root);
        await Task.Delay(4000);

        Assert.True(killed);
        Assert.False(File.Exists(marker), "the sandboxed command outlived the recovery kill");
        await group.DisposeAsync();
    }

    private static ResearchSpec SpecWith(ToyWorkspace toy, string command, string sandbox = "bwrap", string extra = "", int timeout = 30) => SpecLoader.FromToml(
        toy.Root,
        "t",
        $"[objective]\nmetric = \"score\"\ndirection = \"minimize\"\n[run]\ncommand = {command}\nsandbox = \"{sandbox}\"\ntimeout_seconds = {timeout}\n" +
        $"[scope]\neditable = [\"knobs.sh\"]\n{extra}");
}
