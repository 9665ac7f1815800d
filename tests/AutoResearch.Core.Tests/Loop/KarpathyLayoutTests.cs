using AutoResearch.Core.Loop;
using AutoResearch.Core.Proposers;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Loop;

public sealed class KarpathyLayoutTests
{
    [Fact]
    public async Task Karpathy_layout_runs_as_is_with_uv_and_reads_val_bpb_and_vram()
    {
        using var toy = new ToyWorkspace();
        using var repo = new TempGitRepo(new Dictionary<string, string>
        {
            ["prepare.py"] = "TIME_BUDGET = 300\n",
            ["program.md"] = "Lower val_bpb.\n",
            ["train.py"] = """
                LR = 0.04
                print("progress: 100% loss: 1.0")
                print("---")
                print(f"val_bpb:          {abs(LR - 0.01) * 100 + 1:.6f}")
                print("peak_vram_mb:     2048.0")
                """,
        });
        // A stand-in for uv: `uv run train.py` becomes `python3 train.py`.
        var bin = Path.Combine(toy.Scratch, "bin");
        Directory.CreateDirectory(bin);
        var uv = Path.Combine(bin, "uv");
        File.WriteAllText(uv, "#!/usr/bin/env bash\n[ \"$1\" = run ] || exit 2\nshift\nexec python3 \"$@\"\n");
        File.SetUnixFileMode(uv, File.GetUnixFileMode(uv) | UnixFileMode.UserExecute);
        toy.Plan("sed -i 's/^LR = .*/LR = 0.02/' train.py; echo 'lower LR to 0.02'", "echo '# mine' >> prepare.py; echo 'edit prepare'");
        var path = bin + ":" + Environment.GetEnvironmentVariable("PATH");

        var workspace = await GitWorkspace.OpenAsync(repo.Root);
        // The layout has no toml; the agent runs unsandboxed here so that its edit of prepare.py lands and the guard refuses it.
        var spec = SpecLoader.Load(repo.Root);
        spec = spec with { Agent = spec.Agent with { Sandbox = SandboxKind.None } };
        using (var ledger = Ledger.Open(Path.Combine(repo.Root, ".autoresearch", "ledger.db")))
        {
            var loop = new ResearchLoop(
                spec, workspace, ledger, new CliProposer(toy.AgentCommand, TimeSpan.FromSeconds(30)),
                new ExperimentRunner(spec, new Dictionary<string, string?> { ["PATH"] = path }));
            await loop.RunAsync(new LoopOptions { Tag = "k", MaxExperiments = 2 });
        }

        var tsv = File.ReadAllLines(Path.Combine(repo.Root, "results.tsv"));
        Assert.Equal("commit\tval_bpb\tmemory_gb\tstatus\tdescription", tsv[0]);
        Assert.Matches("^[0-9a-f]{7}\t4\\.000000\t2\\.0\tkeep\tbaseline$", tsv[1]);
        Assert.Matches("^[0-9a-f]{7}\t2\\.000000\t2\\.0\tkeep\tlower LR to 0.02$", tsv[2]);
        Assert.Matches("^[0-9a-f]{7}\t0\\.000000\t0\\.0\trejected\tedit prepare$", tsv[3]);
    }
}
