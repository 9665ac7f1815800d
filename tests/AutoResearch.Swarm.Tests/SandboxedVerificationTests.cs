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
        var root = Path.Combine(_scratch, "repo");
        var outside = Path.Combine(_scratch, "outside");
        Directory.CreateDirectory(outside);
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
            """);
        await File.WriteAllTextAsync(Path.Combine(root, "experiment.sh"), "source ./knobs.sh\necho \"score: $X\"\n");
        await File.WriteAllTextAsync(Path.Combine(root, "knobs.sh"), "X=10\n");
        await GitAsync(root, "init", "-q", "-b", "main");
        await GitAsync(root, "add", "-A");
        await GitAsync(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "base");
        var baseCommit = (await GitAsync(root, "rev-parse", "HEAD")).Trim();
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
