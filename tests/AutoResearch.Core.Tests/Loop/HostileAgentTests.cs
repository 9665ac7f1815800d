using System.Diagnostics;
using AutoResearch.Core.Records;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Loop;

/// <summary>
/// Scripted agents that attack the harness instead of the code, in the default configuration (the agent in its bubblewrap
/// sandbox, experiments unsandboxed) and with the agent run as the user (<c>[agent] sandbox = "none"</c>). Each asserts what
/// a user would want: the attack is recorded with a clear reason, nothing forged is kept, the user's repository (refs,
/// hooks, config, tracked files) is as it was, and the harness comes back within its limits.
/// </summary>
public sealed class HostileAgentTests
{
    private const string Unsandboxed = "sandbox = \"none\"\n";

    /// <summary>A line of bash that runs python code (the test machines have python3; the agent uses it as an attacker would).</summary>
    private static string Python(string code) => $"python3 -c \"{code.Replace("\"", "\\\"", StringComparison.Ordinal)}\"";

    /// <summary>Python that rewrites the baseline's metric in the ledger of the repository at <c>$REPO</c>.</summary>
    private static string ForgeBaseline(string root) => Python(
        $"import sqlite3; c = sqlite3.connect('{root}/.autoresearch/ledger.db'); " +
        "c.execute('UPDATE experiments SET metric = 100, runs = \\'[]\\' WHERE seq = 0'); c.commit()");

    [Fact]
    public async Task Unsandboxed_agent_that_rewrites_the_baseline_in_the_ledger_stops_the_run_and_nothing_is_kept()
    {
        using var toy = new ToyWorkspace(x: 10, extraToml: Unsandboxed);
        var before = Snapshot.Of(toy.Root);
        // Worse than the baseline (20 > 10), with the baseline's metric rewritten to 100 so that it would look like a clear win.
        toy.Plan($"{ToyWorkspace.SetX(20)}; {ForgeBaseline(toy.Root)}; echo 'worse, with a forged baseline'");

        var error = await Assert.ThrowsAsync<ResearchException>(() => LoopHarness.RunAsync(toy, maxExperiments: 2));

        Assert.Contains("changed outside autoresearch", error.Message, StringComparison.Ordinal);
        Assert.Contains("metric \"10\" -> \"100\"", error.Message, StringComparison.Ordinal);
        var experiments = LoopHarness.Experiments(toy);
        Assert.Equal(10, experiments[0].Metric);
        Assert.DoesNotContain(experiments.Skip(1), e => e.Status == ExperimentStatus.Keep);
        Assert.Contains("changed the ledger", experiments[1].Error, StringComparison.Ordinal);
        before.AssertUnchangedBut(toy.Root, branchMayMove: false);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Experiment_code_that_rewrites_the_ledger_while_it_runs_is_caught_after_the_run(bool trusted)
    {
        // The default configuration: the agent is sandboxed, but the code it writes runs unsandboxed and forges the ledger.
        using var toy = new ToyWorkspace(x: 10);
        MakeTrusted(toy, trusted);
        var before = Snapshot.Of(toy.Root);
        var forge = ForgeBaseline(toy.Root).Replace("'", "'\\''", StringComparison.Ordinal);
        toy.Plan($"sed -i 's/^X=.*/X=20/' knobs.sh; echo '{forge}' >> knobs.sh; echo 'forge from the run'");

        var error = await Assert.ThrowsAsync<ResearchException>(() => LoopHarness.RunAsync(toy, maxExperiments: 2));

        Assert.Contains("during run 1 of experiment 1", error.Message, StringComparison.Ordinal);
        var experiments = LoopHarness.Experiments(toy);
        Assert.NotEqual(100, experiments[0].Metric);
        Assert.Equal(ExperimentStatus.Crash, experiments[1].Status);
        before.AssertUnchangedBut(toy.Root, branchMayMove: false);
    }

    [Theory]
    [InlineData("rm -f {0}/.autoresearch/ledger.db*", "was deleted")]
    [InlineData("cp {0}/.autoresearch/ledger.db /tmp/l.$$ && rm -f {0}/.autoresearch/ledger.db* && cp /tmp/l.$$ {0}/.autoresearch/ledger.db && " + "{1}", "changed outside autoresearch")]
    [InlineData("echo garbage > {0}/.autoresearch/ledger.db; rm -f {0}/.autoresearch/ledger.db-wal", "cannot be read as a ledger")]
    public async Task Unsandboxed_agent_that_deletes_or_replaces_the_ledger_file_stops_the_run(string attack, string reason)
    {
        using var toy = new ToyWorkspace(x: 10, extraToml: Unsandboxed);
        toy.Plan($"{ToyWorkspace.SetX(20)}; " + string.Format(System.Globalization.CultureInfo.InvariantCulture, attack, toy.Root, ForgeBaseline(toy.Root)) + "; echo 'replace the ledger'");

        var error = await Assert.ThrowsAsync<ResearchException>(() => LoopHarness.RunAsync(toy, maxExperiments: 2));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(toy.Repo.Git("rev-parse", "HEAD").Trim(), toy.Repo.Git("rev-parse", "autoresearch/t1").Trim());
    }

    [Fact]
    public async Task A_ledger_changed_between_sessions_is_refused_on_resume()
    {
        using var toy = new ToyWorkspace(x: 10);
        var keys = Path.Combine(toy.Scratch, "keys");
        toy.Plan(ToyWorkspace.SetX(20), ToyWorkspace.SetX(30));
        await LoopHarness.RunAsync(toy, maxExperiments: 1, keyDirectory: keys);
        // Between sessions, the discarded experiment is rewritten as a keep with a metric that beats the baseline.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={LoopHarness.LedgerPath(toy)};Pooling=false"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE experiments SET status = 'keep', metric = 1 WHERE seq = 1";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        var error = await Assert.ThrowsAsync<ResearchException>(() => LoopHarness.RunAsync(toy, maxExperiments: 2, keyDirectory: keys));

        Assert.Contains("fails its check for run t1", error.Message, StringComparison.Ordinal);
        Assert.Contains("experiment #1", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, LoopHarness.Experiments(toy).Count);
        using var ledger = Ledger.Open(LoopHarness.LedgerPath(toy));
        Assert.NotNull(ledger.GetRun("t1")!.FinishedAt);
    }

    [Fact]
    public async Task Sandboxed_agent_cannot_see_the_ledger_or_write_git_and_leaves_the_repository_unchanged()
    {
        using var toy = new ToyWorkspace(x: 10);
        var before = Snapshot.Of(toy.Root);
        var marker = Path.Combine(toy.Scratch, "hook-ran");
        toy.Plan(
            $"{ToyWorkspace.SetX(20)}; test -e {toy.Root}/.autoresearch/ledger.db && echo 'saw the ledger' > {toy.Scratch}/saw; " +
            $"printf '#!/bin/sh\\ntouch {marker}\\n' > {toy.Root}/.git/hooks/post-commit; chmod +x {toy.Root}/.git/hooks/post-commit; " +
            $"git config core.hooksPath /tmp; git update-ref refs/heads/main HEAD~0; " +
            $"echo '# mine' >> experiment.sh || touch {toy.Scratch}/readonly-refused; echo 'attack git'");

        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        Assert.False(File.Exists(Path.Combine(toy.Scratch, "saw")), "the sandboxed agent saw the ledger");
        Assert.False(File.Exists(marker), "a hook ran");
        Assert.True(File.Exists(Path.Combine(toy.Scratch, "readonly-refused")), "the agent could write a read-only file");
        var experiments = LoopHarness.Experiments(toy);
        Assert.NotEqual(ExperimentStatus.Keep, experiments[1].Status);
        before.AssertUnchangedBut(toy.Root, branchMayMove: false);
        Assert.Contains("sandbox: bwrap (network shared", File.ReadAllText(Path.Combine(toy.Root, ".autoresearch", "runs", experiments[1].Id.ToString(), "agent.log")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unsandboxed_agent_that_plants_hooks_and_hooks_path_is_rejected_and_the_repository_restored()
    {
        using var toy = new ToyWorkspace(x: 10, extraToml: Unsandboxed);
        var before = Snapshot.Of(toy.Root);
        var marker = Path.Combine(toy.Scratch, "hook-ran");
        var hooks = Path.Combine(toy.Root, ".git", "hooks");
        var evil = Path.Combine(toy.Scratch, "evil-hooks");
        Directory.CreateDirectory(evil);
        foreach (var hook in (string[])["post-commit", "reference-transaction", "pre-commit", "post-checkout"])
        {
            File.WriteAllText(Path.Combine(evil, hook), $"#!/bin/sh\necho {hook} >> {marker}\n");
            File.SetUnixFileMode(Path.Combine(evil, hook), (UnixFileMode)0b111_101_101);
        }

        toy.Plan(
            $"{ToyWorkspace.SetX(5)}; cp -p {evil}/* {hooks}/; git config core.hooksPath {evil}; git config core.fsmonitor {evil}/post-commit; echo 'plant hooks'",
            ToyWorkspace.SetX(4));

        await LoopHarness.RunAsync(toy, maxExperiments: 2);

        Assert.False(File.Exists(marker), File.Exists(marker) ? "hooks ran: " + File.ReadAllText(marker) : "");
        var experiments = LoopHarness.Experiments(toy);
        Assert.Equal(ExperimentStatus.Rejected, experiments[1].Status);
        Assert.Contains(".git/hooks/post-commit was added", experiments[1].Error, StringComparison.Ordinal);
        Assert.Contains(".git/config was changed", experiments[1].Error, StringComparison.Ordinal);
        // The next honest proposal is kept as usual: the harness goes on with the repository restored.
        Assert.Equal(ExperimentStatus.Keep, experiments[2].Status);
        before.AssertUnchangedBut(toy.Root, branchMayMove: true);
    }

    [Fact]
    public async Task Unsandboxed_agent_that_moves_the_run_branch_or_another_ref_is_rejected_and_the_refs_restored()
    {
        using var toy = new ToyWorkspace(x: 10, extraToml: Unsandboxed);
        var before = Snapshot.Of(toy.Root);
        toy.Plan(
            $"{ToyWorkspace.SetX(5)}; git -c user.name=a -c user.email=a@b commit -qam mine; git update-ref refs/heads/autoresearch/t1 HEAD; git update-ref refs/heads/main HEAD; git tag evil; echo 'move the branch'",
            ToyWorkspace.SetX(4));

        await LoopHarness.RunAsync(toy, maxExperiments: 2);

        var experiments = LoopHarness.Experiments(toy);
        Assert.Equal(ExperimentStatus.Rejected, experiments[1].Status);
        Assert.Contains("ref refs/heads/autoresearch/t1 was moved", experiments[1].Error, StringComparison.Ordinal);
        Assert.Contains("ref refs/tags/evil was created", experiments[1].Error, StringComparison.Ordinal);
        Assert.Equal(ExperimentStatus.Keep, experiments[2].Status);
        Assert.Equal(experiments[2].CandidateCommit, toy.Repo.Git("rev-parse", "autoresearch/t1").Trim());
        before.AssertUnchangedBut(toy.Root, branchMayMove: true);
    }

    [Theory]
    [InlineData("ln -sf experiment.sh knobs.sh", "knobs.sh is a symbolic link")]
    [InlineData("ln -sf /etc/passwd knobs.sh", "knobs.sh is a symbolic link")]
    [InlineData("ln -s /etc/passwd knobs2.sh", "knobs2.sh is a symbolic link")]
    [InlineData("mkdir knobs.d && cd knobs.d && git init -q && git -c user.name=a -c user.email=a@b commit -q --allow-empty -m x", "knobs.d is a submodule")]
    public async Task Symbolic_links_are_refused_even_where_the_path_is_editable(string attack, string reason)
    {
        using var toy = new ToyWorkspace(x: 10);
        toy.Plan($"{attack}; echo 'link'");

        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        var e = LoopHarness.Experiments(toy)[1];
        Assert.Equal(ExperimentStatus.Rejected, e.Status);
        Assert.Contains(reason, e.Error, StringComparison.Ordinal);
        Assert.Null(e.ExitCode);
        Assert.Null(new FileInfo(Path.Combine(toy.Root, "knobs.sh")).LinkTarget);
    }

    [Fact]
    public async Task A_proposal_over_the_size_limit_is_refused_and_never_committed()
    {
        using var toy = new ToyWorkspace(x: 10, extraToml: "max_change_mb = 1\n");
        toy.Plan("head -c 3000000 /dev/zero | tr '\\0' '#' >> knobs.sh; echo 'huge'");

        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        var e = LoopHarness.Experiments(toy)[1];
        Assert.Equal(ExperimentStatus.Rejected, e.Status);
        Assert.Contains("over the limit of 1 MB ([agent] max_change_mb)", e.Error, StringComparison.Ordinal);
        Assert.Null(e.CandidateCommit);
        Assert.Null(e.Patch);
    }

    [Theory]
    [InlineData("")]
    [InlineData(Unsandboxed)]
    public async Task Agent_that_leaves_a_process_holding_its_output_ends_with_its_turn(string toml)
    {
        using var toy = new ToyWorkspace(x: 10, extraToml: toml);
        // The child leaves the process group and session and keeps the agent's stdout open; the agent itself exits at once.
        toy.Plan($"{ToyWorkspace.SetX(5)}; setsid bash -c 'sleep 3141' & echo 'escape'");
        var clock = Stopwatch.StartNew();

        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        Assert.Empty(Processes.WithArgument("3141"));
        Assert.Equal(ExperimentStatus.Keep, LoopHarness.Experiments(toy)[1].Status);
    }

    [Fact]
    public async Task Agent_that_hangs_with_an_escaped_child_is_stopped_at_its_timeout()
    {
        using var toy = new ToyWorkspace(x: 10, extraToml: "timeout_seconds = 2\n");
        toy.Plan("setsid bash -c 'sleep 3142' & (setsid sleep 3143 >/dev/null 2>&1 &); sleep 3144");
        var clock = Stopwatch.StartNew();

        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2 + 10), $"took {clock.Elapsed}");
        foreach (var argument in (string[])["3142", "3143", "3144"])
        {
            Assert.Empty(Processes.WithArgument(argument));
        }

        var e = LoopHarness.Experiments(toy)[1];
        Assert.Equal(ExperimentStatus.Crash, e.Status);
        Assert.Contains("timed out", e.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_process_left_by_the_agent_cannot_swap_a_readonly_file_between_the_hashes()
    {
        using var toy = new ToyWorkspace(x: 10, extraToml: Unsandboxed);
        // A worse candidate, and a detached process that, once the run has started, swaps the read-only experiment for one that
        // prints a perfect score, and puts it back before the run ends.
        var swap = Path.Combine(toy.Scratch, "swap.sh");
        File.WriteAllText(swap, $"""
            cd "$1"; cp experiment.sh {toy.Scratch}/orig.sh
            sleep 0.5; printf 'echo "---"; echo "score: 0"\n' > experiment.sh; sleep 1; cp {toy.Scratch}/orig.sh experiment.sh
            """);
        toy.Plan($"{ToyWorkspace.SetX(20)}; (setsid bash {swap} \"$PWD\" >/dev/null 2>&1 &); echo 'swap'");

        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        var e = LoopHarness.Experiments(toy)[1];
        Assert.NotEqual(ExperimentStatus.Keep, e.Status);
        Assert.Equal(20, e.Metric ?? 20);
        Assert.Empty(Processes.WithArgument(swap));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_that_leaves_a_process_holding_its_output_ends_with_the_run(bool trusted)
    {
        using var toy = new ToyWorkspace(x: 10);
        MakeTrusted(toy, trusted);
        toy.Plan($"{ToyWorkspace.SetX(5)}; echo \"setsid bash -c 'sleep 3145' &\" >> knobs.sh; echo 'escape from the run'");
        var clock = Stopwatch.StartNew();

        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"took {clock.Elapsed}");
        Assert.Empty(Processes.WithArgument("3145"));
        Assert.Equal(ExperimentStatus.Keep, LoopHarness.Experiments(toy)[1].Status);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_that_plants_a_hook_or_edits_the_users_checkout_is_a_crash_and_everything_is_restored(bool trusted)
    {
        using var toy = new ToyWorkspace(x: 10);
        MakeTrusted(toy, trusted);
        var before = Snapshot.Of(toy.Root);
        var hook = Path.Combine(toy.Root, ".git", "hooks", "post-commit");
        toy.Plan(
            $"{ToyWorkspace.SetX(1)}; echo \"printf '#!/bin/sh\\n' > {hook}; echo '# mine' >> {toy.Root}/experiment.sh\" >> knobs.sh; echo 'plant from the run'",
            ToyWorkspace.SetX(4));

        await LoopHarness.RunAsync(toy, maxExperiments: 2);

        var experiments = LoopHarness.Experiments(toy);
        Assert.Equal(ExperimentStatus.Crash, experiments[1].Status);
        Assert.Contains(".git/hooks/post-commit was added", experiments[1].Error, StringComparison.Ordinal);
        Assert.Contains("experiment.sh in your checkout was changed", experiments[1].Error, StringComparison.Ordinal);
        Assert.Equal(ExperimentStatus.Keep, experiments[2].Status);
        before.AssertUnchangedBut(toy.Root, branchMayMove: true);
    }

    [Fact]
    public async Task Trusted_scoring_never_runs_what_training_left_in_the_worktree()
    {
        using var toy = new ToyWorkspace(x: 10);
        var marker = Path.Combine(toy.Scratch, "shadow-ran");
        MakeTrusted(toy, trusted: true);
        // Training drops a module that shadows lm (in a folder git does not track), one that answers with more confidence.
        var shadow = Path.Combine(toy.Scratch, "shadow.py");
        File.WriteAllText(shadow, $"import pathlib\npathlib.Path('{marker}').touch()\n" + Running.TrustedScoringTests.Server.Replace("0.5)", "0.999)", StringComparison.Ordinal));
        toy.Plan($"{ToyWorkspace.SetX(5)}; echo 'mkdir -p overrides; cp {shadow} overrides/lm.py' >> knobs.sh; echo 'shadow the scorer'");

        await LoopHarness.RunAsync(toy, maxExperiments: 1);

        Assert.False(File.Exists(marker), "scoring imported the module training wrote");
        // The honest scorer of X = 5 decides (a keep here), not the shadow.
        var experiments = LoopHarness.Experiments(toy);
        // (within 0.1 bit: the held-out bytes are random, the formula is their expectation; the shadow would score about 18)
        Assert.InRange(experiments[1].Metric!.Value, Honest(5) - 0.1, Honest(5) + 0.1);
        Assert.Equal(ExperimentStatus.Keep, experiments[1].Status);
    }

    [Theory]
    [InlineData("agent")]
    [InlineData("run")]
    public async Task Ctrl_c_ends_the_harness_within_seconds_even_with_an_escaped_process_holding_the_output(string phase)
    {
        using var toy = new ToyWorkspace(x: 10);
        var hang = "setsid bash -c 'sleep 3146' & sleep 3147";
        toy.Plan(phase == "agent"
            ? hang
            : $"{ToyWorkspace.SetX(5)}; echo \"{hang}\" >> knobs.sh; echo 'hang in the run'");
        using var cancel = new CancellationTokenSource();
        var loop = LoopHarness.RunAsync(toy, maxExperiments: 1, cancellationToken: cancel.Token);
        var started = Stopwatch.StartNew();
        while (Processes.WithArgument("3147").Count == 0 && started.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50);
        }

        Assert.NotEmpty(Processes.WithArgument("3147"));
        var clock = Stopwatch.StartNew();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed} after Ctrl-C");
        Assert.Empty(Processes.WithArgument("3146"));
        Assert.Empty(Processes.WithArgument("3147"));
    }

    /// <summary>
    /// Under <paramref name="trusted"/>, turns the toy into a trusted-scoring workspace: training's printed score is only
    /// recorded, and the metric is computed by the harness from a log-probability server (<c>serve.py</c>, read-only) whose
    /// model quality follows X in the candidate's knobs.sh, lower X better. serve.py puts an untracked <c>overrides</c> folder
    /// first on its import path.
    /// </summary>
    private static void MakeTrusted(ToyWorkspace toy, bool trusted)
    {
        if (!trusted)
        {
            return;
        }

        toy.Repo.Write("serve.py", "import sys\nsys.path.insert(0, 'overrides')\nimport lm\n");
        toy.Repo.Write("lm.py", Running.TrustedScoringTests.Server
            .Replace("mode = sys.argv[1]", "mode = sys.argv[1]\nimport re\nX = float(re.search(r'^X=(.*)$', open('knobs.sh').read(), re.M).group(1))", StringComparison.Ordinal)
            .Replace("row(toks[p], 0.5)", "row(toks[p], min(0.9, max(0.01, 0.05 * X)))", StringComparison.Ordinal));
        var corpus = new byte[3000];
        new Random(5).NextBytes(corpus);
        File.WriteAllBytes(Path.Combine(toy.Scratch, "corpus.bin"), corpus);
        File.AppendAllText(Path.Combine(toy.Root, "autoresearch.toml"), $"""

            [score]
            mode = "trusted"
            serve = "python3 serve.py honest"
            data = "{Path.Combine(toy.Scratch, "corpus.bin")}"
            """);
        toy.Repo.Git("add", "-A");
        toy.Repo.Git("commit", "-qm", "trusted scoring");
    }

    /// <summary>The trusted score of the <see cref="MakeTrusted"/> server at <paramref name="x"/>, in bits per byte.</summary>
    private static double Honest(double x)
    {
        // It puts probability p on the byte it was just shown; the next byte of random text is another one with
        // probability 255/256, which gets (1 - p) / 255.
        var p = Math.Min(0.9, Math.Max(0.01, 0.05 * x));
        return -((1.0 / 256) * Math.Log2(p) + (255.0 / 256) * Math.Log2((1 - p) / 255));
    }

    /// <summary>What a user's repository looks like: refs (the run branches aside), hooks, config, and the tracked files of the checkout.</summary>
    private sealed record Snapshot(string Refs, string Hooks, string Config, string Status, string Files, string Head)
    {
        public static Snapshot Of(string root) => new(
            OtherRefs(root),
            Listing(Path.Combine(root, ".git", "hooks")),
            File.ReadAllText(Path.Combine(root, ".git", "config")),
            Git(root, "status", "--porcelain", "--untracked-files=no"),
            string.Join('\n', Git(root, "ls-files").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(f => f + ":" + File.ReadAllText(Path.Combine(root, f)))),
            Git(root, "rev-parse", "HEAD").Trim());

        /// <summary>Asserts nothing changed; the run branch may have moved only when <paramref name="branchMayMove"/> (real keeps).</summary>
        public void AssertUnchangedBut(string root, bool branchMayMove)
        {
            var now = Of(root);
            Assert.Equal(Refs, now.Refs);
            Assert.Equal(Hooks, now.Hooks);
            Assert.Equal(Config, now.Config);
            Assert.Equal(Status, now.Status);
            Assert.Equal(Files, now.Files);
            Assert.Equal(Head, now.Head);
            if (!branchMayMove)
            {
                Assert.Equal(Head, Git(root, "rev-parse", "autoresearch/t1").Trim());
            }
        }

        private static string OtherRefs(string root) =>
            string.Join('\n', Git(root, "for-each-ref", "--format=%(refname) %(objectname)")
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => !l.StartsWith("refs/heads/autoresearch/", StringComparison.Ordinal)));

        private static string Listing(string folder) =>
            string.Join('\n', Directory.GetFiles(folder).Order(StringComparer.Ordinal).Select(f => Path.GetFileName(f) + ":" + File.ReadAllText(f)));

        private static string Git(string root, params string[] arguments)
        {
            var info = new ProcessStartInfo("git") { WorkingDirectory = root, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return output;
        }
    }
}
