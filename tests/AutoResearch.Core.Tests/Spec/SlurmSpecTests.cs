using AutoResearch.Core.Spec;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Spec;

public sealed class SlurmSpecTests
{
    [Fact]
    public void Without_an_executor_runs_are_local_and_a_slurm_section_alone_changes_nothing()
    {
        using var repo = new TempGitRepo(new Dictionary<string, string> { ["knobs.sh"] = "X=1\n" });

        var spec = Load(repo.Root, "", "[slurm]\npartition = \"gpu\"\n");

        Assert.Equal(ExecutorKind.Local, spec.Run.Executor);
        Assert.Equal("gpu", spec.Slurm.Partition);
    }

    [Fact]
    public void Every_key_of_the_slurm_section_is_read()
    {
        using var repo = new TempGitRepo(new Dictionary<string, string> { ["knobs.sh"] = "X=1\n" });
        var shared = Path.GetDirectoryName(repo.Root)!;

        var spec = Load(repo.Root, "executor = \"slurm\"\n", $"""
            [slurm]
            partition = "gpu"
            account = "lab42"
            gres = "gpu:1"
            cpus = 8
            memory_mb = 32000
            sbatch_args = ["--qos=short", "--constraint=a100"]
            shared_dir = "{shared}"
            poll_seconds = 2.5
            retries = 3
            job_name = "ar"
            """);

        Assert.Equal(ExecutorKind.Slurm, spec.Run.Executor);
        var slurm = spec.Slurm;
        Assert.Equal(("gpu", "lab42", "gpu:1", 8, 32000L), (slurm.Partition, slurm.Account, slurm.Gres, slurm.Cpus, slurm.MemoryMb));
        Assert.Equal(["--qos=short", "--constraint=a100"], slurm.ExtraArguments);
        Assert.Equal((shared, TimeSpan.FromSeconds(2.5), 3, "ar"), (slurm.SharedDirectory, slurm.Poll, slurm.Retries, slurm.JobName));
    }

    [Fact]
    public void Slurm_without_a_shared_folder_is_refused_with_what_to_write()
    {
        using var repo = new TempGitRepo(new Dictionary<string, string> { ["knobs.sh"] = "X=1\n" });

        var e = Assert.Throws<SpecException>(() => Load(repo.Root, "executor = \"slurm\"\n", ""));

        Assert.Contains("[slurm] shared_dir is missing", e.Message, StringComparison.Ordinal);
        Assert.Contains("shared file system", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_workspace_outside_the_shared_folder_is_refused_and_one_reached_through_a_link_is_not()
    {
        using var repo = new TempGitRepo(new Dictionary<string, string> { ["knobs.sh"] = "X=1\n" });
        var shared = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "shared-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(shared);
        try
        {
            var e = Assert.Throws<SpecException>(() => Load(repo.Root, "executor = \"slurm\"\n", $"[slurm]\nshared_dir = \"{shared}\"\n"));
            Assert.Contains($"the workspace {repo.Root} is outside [slurm] shared_dir", e.Message, StringComparison.Ordinal);

            // A shared folder that is a link to the folder that holds the workspace (/home -> /gpfs/home) is the same place.
            var link = Path.Combine(shared, "home");
            File.CreateSymbolicLink(link, Path.GetDirectoryName(repo.Root)!);
            Assert.Equal(ExecutorKind.Slurm, Load(repo.Root, "executor = \"slurm\"\n", $"[slurm]\nshared_dir = \"{link}\"\n").Run.Executor);

            // A folder whose name is the start of the workspace's (…/abc for …/abcd) does not hold it.
            var prefix = repo.Root[..^1];
            Directory.CreateDirectory(prefix);
            var e2 = Assert.Throws<SpecException>(() => Load(repo.Root, "executor = \"slurm\"\n", $"[slurm]\nshared_dir = \"{prefix}\"\n"));
            Assert.Contains("is outside", e2.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(shared, recursive: true);
            if (Directory.Exists(repo.Root[..^1]))
            {
                Directory.Delete(repo.Root[..^1]);
            }
        }
    }

    [Theory]
    [InlineData("executor = \"kubernetes\"\n", "", "[run] executor = \"kubernetes\" must be one of \"local\", \"slurm\"")]
    [InlineData("executor = \"slurm\"\ngpus = 2\n", "[slurm]\nshared_dir = \"/tmp\"\n", "[run] gpus is for local runs")]
    [InlineData("", "[slurm]\npartition = \"gpu --account=other\"\n", "[slurm] partition = \"gpu --account=other\" must be one word")]
    [InlineData("", "[slurm]\ngres = \"--exclusive\"\n", "[slurm] gres = \"--exclusive\" must be one word")]
    [InlineData("", "[slurm]\nsbatch_args = \"--qos=short\"\n", "[slurm] sbatch_args = \"--qos=short\" must be a list of sbatch options")]
    [InlineData("", "[slurm]\nsbatch_args = [\"short\"]\n", "must be a list of sbatch options")]
    [InlineData("", "[slurm]\ncpus = 0\n", "[slurm] cpus = 0 must be a whole number from 1")]
    [InlineData("", "[slurm]\nnodes = 2\n", "unknown key [slurm] nodes")]
    [InlineData("executor = \"slurm\"\n", "[slurm]\nshared_dir = \"relative/path\"\n", "must be an absolute path to an existing folder")]
    public void Mistakes_are_named_with_their_key(string run, string extra, string message)
    {
        using var repo = new TempGitRepo(new Dictionary<string, string> { ["knobs.sh"] = "X=1\n" });

        var e = Assert.Throws<SpecException>(() => Load(repo.Root, run, extra));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    private static ResearchSpec Load(string root, string run, string extra) => SpecLoader.FromToml(
        root,
        "t",
        $"[objective]\nmetric = \"score\"\ndirection = \"minimize\"\n[run]\ncommand = \"bash experiment.sh\"\n{run}[scope]\neditable = [\"knobs.sh\"]\n{extra}");
}
