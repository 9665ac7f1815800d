using System.Diagnostics;
using AutoResearch.Core.Proposers;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Tests;

/// <summary>The real engine verifying someone else's patch on a tiny bash workload: always in bubblewrap, whatever the workspace says.</summary>
public sealed class SandboxedVerificationTests : IDisposable
{
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "swarm-sandbox-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
            // A leftover scratch folder is harmless.
        }
    }

    [Fact]
    public async Task Verification_runs_others_patch_in_bubblewrap_even_when_the_workspace_says_none()
    {
        var outside = Path.Combine(_scratch, "outside");
        Directory.CreateDirectory(outside);
        var (root, baseCommit) = await RepoAsync("");
        // The claimer's patch lowers the score and tries to write outside its worktree.
        var escape = Path.Combine(outside, "escaped.txt");
        var patch = $"""
            diff --git a/knobs.sh b/knobs.sh
            --- a/knobs.sh
            +++ b/knobs.sh
            @@ -1 +1,2 @@
            -X=10
            +X=8
            +echo pwned > {escape} 2>/dev/null && echo wrote-outside || echo refused-outside

            """.ReplaceLineEndings("\n");
        var workspace = await GitWorkspace.OpenAsync(root);
        var spec = SpecLoader.Load(workspace.Root);
        Assert.Equal(SandboxKind.None, spec.Run.Sandbox.Kind);
        var engine = new GitEngine(spec, workspace, new NoProposer(), slot: 0);

        var result = await engine.VerifyAsync(new HeadSnapshot(0, "h0", baseCommit, []), patch, seed: 7, holdout: false);

        Assert.True(result.Applies);
        Assert.Equal(10, result.ParentMetric);
        Assert.Equal(8, result.CandidateMetric);
        Assert.Null(result.HoldoutCandidate);
        Assert.False(File.Exists(escape));
        var log = Directory.GetFiles(Path.Combine(workspace.StateDirectory, "swarm"), "run.log", SearchOption.AllDirectories)
            .Single(p => p.Contains("candidate", StringComparison.Ordinal));
        var text = await File.ReadAllTextAsync(log);
        Assert.Contains("[autoresearch] sandbox: bwrap", text, StringComparison.Ordinal);
        Assert.Contains("refused-outside", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("diff --git a/link b/link\nnew file mode 0120000\n--- /dev/null\n+++ b/link\n@@ -0,0 +1 @@\n+/etc/passwd\n", "symlink")]
    [InlineData("diff --git a/sub b/sub\nnew file mode 160000\nindex 0000000..1111111111111111111111111111111111111111\n--- /dev/null\n+++ b/sub\n@@ -0,0 +1 @@\n+Subproject commit 1111111111111111111111111111111111111111\n", "submodule")]
    public async Task A_worker_refuses_a_bad_patch_that_the_coordinator_serves(string patch, string expected)
    {
        var (root, baseCommit) = await RepoAsync("");
        var workspace = await GitWorkspace.OpenAsync(root);
        var engine = new GitEngine(SpecLoader.Load(workspace.Root), workspace, new NoProposer(), slot: 0);

        var error = await Assert.ThrowsAsync<Core.ResearchException>(() => engine.VerifyAsync(new HeadSnapshot(0, "h0", baseCommit, []), patch, seed: 7, holdout: false));

        Assert.Contains("refuses to apply", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(root, "link")) || Directory.Exists(Path.Combine(root, "sub")));
    }

    [Fact]
    public async Task The_worker_runs_no_hook_or_fsmonitor_that_its_clone_config_names()
    {
        var (root, baseCommit) = await RepoAsync("");
        // The clone's own config names hooks and an fsmonitor program, each of which leaves a marker when git runs it.
        var markers = Path.Combine(_scratch, "markers");
        var hooks = Path.Combine(_scratch, "hooks");
        Directory.CreateDirectory(markers);
        Directory.CreateDirectory(hooks);
        foreach (var name in (string[])["post-checkout", "post-commit", "pre-commit", "fsmonitor"])
        {
            var script = Path.Combine(hooks, name);
            await File.WriteAllTextAsync(script, $"#!/bin/sh\ntouch '{Path.Combine(markers, name)}'\nexit 0\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(script, File.GetUnixFileMode(script) | UnixFileMode.UserExecute);
            }
        }

        await GitAsync(root, "config", "core.hooksPath", hooks);
        await GitAsync(root, "config", "core.fsmonitor", Path.Combine(hooks, "fsmonitor"));
        var workspace = await GitWorkspace.OpenAsync(root);
        var engine = new GitEngine(SpecLoader.Load(workspace.Root), workspace, new NoProposer(), slot: 0);
        var link = new Protocol.Messages.ChainLink(1, "h1", 1, "w", Lower, 8, 2, "lower", DateTimeOffset.UnixEpoch);
        const string Lowest = "diff --git a/knobs.sh b/knobs.sh\n--- a/knobs.sh\n+++ b/knobs.sh\n@@ -1 +1 @@\n-X=8\n+X=6\n";

        // Worktree setup, the chain patch applied and committed, the claim's patch applied, resets.
        var result = await engine.VerifyAsync(new HeadSnapshot(1, "h1", baseCommit, [link]), Lowest, seed: 7, holdout: false);

        Assert.True(result.Applies);
        Assert.Equal(8, result.ParentMetric);
        Assert.Equal(6, result.CandidateMetric);
        Assert.Empty(Directory.GetFiles(markers));
        // The trap was armed: plain git in the same clone runs them.
        await GitAsync(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "armed");
        Assert.True(File.Exists(Path.Combine(markers, "pre-commit")) && File.Exists(Path.Combine(markers, "post-commit")));
    }

    [Fact]
    public async Task A_trusted_verifier_also_scores_parent_and_candidate_on_its_private_holdout()
    {
        Directory.CreateDirectory(_scratch);
        // A causal first-order model served over the log-probability protocol: P(next = current) = 1/2, the rest uniform.
        var shared = Path.Combine(_scratch, "shared.bin");
        var secret = Path.Combine(_scratch, "secret.bin");
        await File.WriteAllBytesAsync(shared, Corpus(repeatEvery: 3));
        await File.WriteAllBytesAsync(secret, Corpus(repeatEvery: 2));
        var (root, baseCommit) = await RepoAsync($$"""

            [score]
            mode = "trusted"
            serve = "python3 server.py"
            data = "{{shared}}"
            """, ("server.py", Server));
        var workspace = await GitWorkspace.OpenAsync(root);
        var spec = SpecLoader.Load(workspace.Root);
        var (holdout, problem) = OthersCode.Holdout(spec, secret);
        Assert.Null(problem);
        var engine = new GitEngine(spec, workspace, new NoProposer(), slot: 0, holdout: holdout);
        var head = new HeadSnapshot(0, "h0", baseCommit, []);

        var asked = await engine.VerifyAsync(head, Lower, seed: 3, holdout: true);
        var notAsked = await engine.VerifyAsync(head, Lower, seed: 4, holdout: false);

        // The served model is the same for parent and candidate, so each pair agrees; the holdout is scored on the secret's tail.
        Assert.Equal(Expected(Corpus(3)), asked.CandidateMetric!.Value, 5);
        Assert.Equal(Expected(Corpus(2)), asked.HoldoutParent!.Value, 5);
        Assert.Equal(Expected(Corpus(2)), asked.HoldoutCandidate!.Value, 5);
        Assert.NotEqual(asked.CandidateMetric!.Value, asked.HoldoutCandidate!.Value, 3);
        Assert.Null(notAsked.HoldoutParent);
        Assert.Null(notAsked.HoldoutCandidate);
    }

    [Fact]
    public void A_machine_without_bubblewrap_is_refused_with_what_to_install()
    {
        Directory.CreateDirectory(_scratch);
        var problem = OthersCode.Problem(searchPath: _scratch);

        Assert.NotNull(problem);
        Assert.Contains("apt-get install bubblewrap", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_holdout_needs_trusted_served_scoring()
    {
        Directory.CreateDirectory(_scratch);
        const string Toml = """
            [objective]
            metric = "score"
            direction = "minimize"

            [run]
            command = "bash experiment.sh"

            [scope]
            editable = ["knobs.sh"]

            """;
        File.WriteAllText(Path.Combine(_scratch, "autoresearch.toml"), Toml);
        var spec = SpecLoader.Load(_scratch);
        File.WriteAllText(Path.Combine(_scratch, "autoresearch.toml"), Toml + "[score]\nmode = \"trusted\"\nserve = \"bash serve.sh\"\ndata = \"shared.bin\"\n");
        var trustedSpec = SpecLoader.Load(_scratch);
        var data = Path.Combine(_scratch, "private.bin");
        File.WriteAllBytes(data, new byte[64]);

        var (none, selfReported) = OthersCode.Holdout(spec, data);
        var (trusted, problem) = OthersCode.Holdout(trustedSpec, data);

        Assert.Null(none);
        Assert.Contains("trusted", selfReported, StringComparison.Ordinal);
        Assert.Null(problem);
        Assert.Equal(data, trusted!.Score.Data);
        Assert.Equal(SandboxKind.Bwrap, trusted.Run.Sandbox.Kind);
    }

    private const string Lower = """
        diff --git a/knobs.sh b/knobs.sh
        --- a/knobs.sh
        +++ b/knobs.sh
        @@ -1 +1 @@
        -X=10
        +X=8

        """;

    private const string Server = """
        import math, struct, sys
        inp, out = sys.stdin.buffer, sys.stdout.buffer
        out.write(b"ARLP" + struct.pack("<iii", 1, 256, 16)); out.flush()
        while True:
            head = inp.read(4)
            if len(head) < 4: break
            n = struct.unpack("<i", head)[0]
            if n == 0: break
            toks = inp.read(n)
            flat = []
            for p in range(n):
                r = [math.log(0.5 / 255)] * 256
                r[toks[p]] = math.log(0.5)
                flat += r
            out.write(struct.pack("<%df" % len(flat), *flat))
        out.flush()
        """;

    /// <summary>A repository whose experiment prints <c>score: $X</c> from the editable knobs.sh (X=10), committed; its root and commit.</summary>
    [Fact]
    public async Task A_slot_learns_from_its_explorations_and_workers_with_other_keys_propose_other_changes()
    {
        // Found on the real workload: with no history and one seed, every lease of every worker proposed the same change.
        var (root, baseCommit) = await RepoAsync("\n[search.knobs]\nX = { range = [0, 20] }\n");
        var workspace = await GitWorkspace.OpenAsync(root);
        var spec = SpecLoader.Load(workspace.Root);
        var head = new HeadSnapshot(0, "h0", baseCommit, []);
        var engine = new GitEngine(spec, workspace, new Core.Proposers.Search.SearchProposer(), slot: 0, proposalSalt: 1);
        var other = new GitEngine(spec, workspace, new Core.Proposers.Search.SearchProposer(), slot: 1, proposalSalt: 2);

        var mine = new List<string?>();
        for (var i = 0; i < 4; i++)
        {
            mine.Add((await engine.ExploreAsync(head, seed: 7)).Patch);
        }

        var theirs = (await other.ExploreAsync(head, seed: 7)).Patch;

        Assert.All(mine, Assert.NotNull);
        Assert.Equal(mine.Count, mine.Distinct().Count());
        Assert.NotEqual(mine[0], theirs);
    }

    private async Task<(string Root, string Commit)> RepoAsync(string extraToml, params (string Path, string Text)[] files)
    {
        var root = Path.Combine(_scratch, "repo");
        Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(Path.Combine(root, "autoresearch.toml"), """
            [objective]
            metric = "score"
            direction = "minimize"

            [run]
            command = "bash experiment.sh"
            timeout_seconds = 30
            sandbox = "none"

            [scope]
            editable = ["knobs.sh"]
            """ + extraToml);
        await File.WriteAllTextAsync(Path.Combine(root, "experiment.sh"), "source ./knobs.sh\necho \"score: $X\"\n");
        await File.WriteAllTextAsync(Path.Combine(root, "knobs.sh"), "X=10\n");
        foreach (var (path, text) in files)
        {
            await File.WriteAllTextAsync(Path.Combine(root, path), text);
        }

        await GitAsync(root, "init", "-q", "-b", "main");
        await GitAsync(root, "add", "-A");
        await GitAsync(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base");
        return (root, (await GitAsync(root, "rev-parse", "HEAD")).Trim());
    }

    /// <summary>3,000 seeded random bytes where every <paramref name="repeatEvery"/>-th repeats the one before.</summary>
    private static byte[] Corpus(int repeatEvery)
    {
        var corpus = new byte[3000];
        new Random(7).NextBytes(corpus);
        for (var i = 1; i < corpus.Length; i += repeatEvery)
        {
            corpus[i] = corpus[i - 1];
        }

        return corpus;
    }

    /// <summary>Bits per byte of the served model over the corpus's last tenth (the default holdout).</summary>
    private static double Expected(byte[] corpus)
    {
        var holdout = corpus[^(corpus.Length / 10)..];
        double bits = 0;
        for (var i = 1; i < holdout.Length; i++)
        {
            bits += holdout[i] == holdout[i - 1] ? 1 : -Math.Log2(0.5 / 255);
        }

        return bits / (holdout.Length - 1);
    }

    private static async Task<string> GitAsync(string directory, params string[] arguments)
    {
        var info = new ProcessStartInfo("git", arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        using var git = Process.Start(info)!;
        var output = await git.StandardOutput.ReadToEndAsync();
        await git.WaitForExitAsync();
        Assert.True(git.ExitCode == 0, $"git {string.Join(' ', arguments)} failed: {await git.StandardError.ReadToEndAsync()}");
        return output;
    }

    /// <summary>Verification never proposes.</summary>
    private sealed class NoProposer : IProposer
    {
        public string Name => "none";

        public Task<Proposal> ProposeAsync(ProposalContext context, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("a verification must not propose");
    }
}
