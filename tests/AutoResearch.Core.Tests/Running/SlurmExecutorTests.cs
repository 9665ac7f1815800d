using System.Diagnostics;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Running;

/// <summary>
/// Runs as Slurm jobs (<c>[run] executor = "slurm"</c>) against the real scheduler test.sh starts: the same command, output
/// and metric as a local run, the job's id recorded before it can start, and every way a run can end (a crash, the
/// timeout, an early stop, Ctrl-C) leaving no job behind.
/// </summary>
[Collection("slurm")]
public sealed class SlurmExecutorTests
{
    [SlurmFact]
    public async Task A_run_is_a_job_whose_output_is_read_as_it_grows_and_whose_id_is_recorded_before_it_starts()
    {
        using var toy = new ToyWorkspace();
        var spec = SpecWith(toy, """'echo "seed=$AUTORESEARCH_SEED exp=$AUTORESEARCH_EXPERIMENT job=$SLURM_JOB_ID threads=$AUTORESEARCH_THREADS"; echo oops >&2; echo "progress: 50% loss: 2"; echo "score: 1.5"'""");
        var runDir = Path.Combine(toy.Scratch, "run");
        var lines = new List<string>();
        var jobs = new List<(string Log, string? Id, string? StateThen)>();

        var result = await new ExperimentRunner(spec).RunAsync(
            toy.Root, runDir, experiment: 17, seed: 5, onLine: l => { lock (lines) { lines.Add(l); } }, slot: SlotResources.ForJob(0, 1),
            onJob: (log, id) => jobs.Add((log, id, id is null ? null : SlurmCluster.State(id))));

        var log = File.ReadAllText(result.LogPath);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(1.5, result.Metric);
        Assert.Equal(2, jobs.Count);
        var (name, id, stateThen) = jobs[0];
        Assert.Equal("run.log", name);
        // Recorded while the job was still held: it could not have started before its id was kept.
        Assert.Equal("PENDING", stateThen);
        Assert.Equal(("run.log", (string?)null), (jobs[1].Log, jobs[1].Id));
        Assert.Contains($"seed=5 exp=17 job={id} threads=1", log, StringComparison.Ordinal);
        Assert.Contains("oops", log, StringComparison.Ordinal);
        Assert.Contains($"[autoresearch] slurm job {id} submitted: sbatch --job-name=autoresearch-", log, StringComparison.Ordinal);
        Assert.Contains("score: 1.5", lines);
        Assert.Single(result.Output.Curve);
        Assert.Equal("COMPLETED", SlurmCluster.State(id!));
    }

    [SlurmFact]
    public async Task A_crash_keeps_its_exit_code_and_its_last_line()
    {
        using var toy = new ToyWorkspace();
        var spec = SpecWith(toy, """'echo "about to fail"; exit 3'""");

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 1, 1);

        Assert.Equal(3, result.ExitCode);
        var (status, error) = result.Judge(spec);
        Assert.Equal(ExperimentStatus.Crash, status);
        Assert.Contains("exit code 3 (last line: about to fail)", error, StringComparison.Ordinal);
    }

    [SlurmFact]
    public async Task A_job_that_never_ends_is_cancelled_at_the_timeout_and_is_gone()
    {
        using var toy = new ToyWorkspace();
        var spec = SpecWith(toy, """'echo started; sleep 600; echo "score: 1"'""", timeoutSeconds: 3);
        string? job = null;

        var clock = Stopwatch.StartNew();
        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 2, 1, onJob: (_, id) => job ??= id);

        Assert.True(result.TimedOut, File.ReadAllText(result.LogPath));
        Assert.Equal(ExperimentStatus.Timeout, result.Judge(spec).Status);
        Assert.InRange(result.Wall.TotalSeconds, 2.5, 20);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.Equal("CANCELLED", SlurmCluster.State(job!));
        Assert.DoesNotContain(SlurmCluster.Jobs(), j => j.Id == job);
    }

    [SlurmFact(failNode: true)]
    public async Task Time_in_the_queue_does_not_count_against_the_timeout_and_the_log_says_why_it_waits()
    {
        using var toy = new ToyWorkspace();
        // A job that holds every core of partition "fail"'s one node for 6 s; ours, with a 4 s timeout, waits behind it.
        var (code, blocker, stderr) = SlurmCluster.Run(
            "sbatch", "--parsable", "--partition=fail", "--exclusive", "--job-name=autoresearch-test-blocker", "--output=/dev/null", "--wrap", "sleep 6");
        Assert.True(code == 0, stderr);
        var spec = SpecWith(toy, """'for i in 1 2 3 4; do echo "progress: $((i * 25))% loss: 1"; sleep 0.25; done; echo "score: 1"'""", timeoutSeconds: 4,
            slurm: "partition = \"fail\"\n");

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 11, 1);

        var log = File.ReadAllText(result.LogPath);
        Assert.False(result.TimedOut, log);
        Assert.Equal(1, result.Metric);
        Assert.Matches("job [0-9]+ waits in the queue: (Resources|Priority)", log);
        Assert.True(result.Wall < TimeSpan.FromSeconds(4), $"the run's wall {result.Wall} counted the queue");
        Assert.NotEqual("RUNNING", SlurmCluster.State(blocker.Trim()));
    }

    [SlurmFact]
    public async Task An_early_stop_cancels_the_job_on_the_line_that_decided_it()
    {
        using var toy = new ToyWorkspace();
        var spec = SpecWith(toy, """'for i in $(seq 1 100); do echo "progress: $i% loss: 9"; sleep 0.2; done; echo "score: 9"'""");
        string? job = null;

        var result = await new ExperimentRunner(spec).RunAsync(
            toy.Root, Path.Combine(toy.Scratch, "run"), 3, 1, stopWhen: p => p.Progress >= 5, onJob: (_, id) => job ??= id);

        Assert.True(result.Stopped, File.ReadAllText(result.LogPath));
        Assert.Null(result.Metric);
        Assert.True(result.Wall < TimeSpan.FromSeconds(15), $"stopped after {result.Wall}");
        Assert.Equal("CANCELLED", SlurmCluster.State(job!));
    }

    [SlurmFact]
    public async Task Ctrl_c_cancels_the_job_and_the_run_counts_as_interrupted()
    {
        using var toy = new ToyWorkspace();
        var spec = SpecWith(toy, """'echo started; sleep 600'""");
        using var cts = new CancellationTokenSource();
        string? job = null;

        var run = new ExperimentRunner(spec).RunAsync(
            toy.Root, Path.Combine(toy.Scratch, "run"), 4, 1, onLine: l => { if (l == "started") { cts.Cancel(); } }, onJob: (_, id) => job ??= id,
            cancellationToken: cts.Token);
        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(result.Cancelled);
        Assert.Equal("CANCELLED", SlurmCluster.State(job!));
    }

    [SlurmFact(failNode: true)]
    public async Task A_job_whose_node_fails_is_submitted_again_and_its_first_output_is_kept()
    {
        using var toy = new ToyWorkspace();
        var flag = Path.Combine(toy.Scratch, "second-time");
        var spec = SpecWith(toy, $"'echo \"attempt in job $SLURM_JOB_ID\"; [ -f {flag} ] || sleep 600; echo \"score: 1\"'", slurm: "partition = \"fail\"\n");
        var node = SlurmCluster.FailNode!;
        var jobs = new List<string>();

        var run = new ExperimentRunner(spec).RunAsync(
            toy.Root, Path.Combine(toy.Scratch, "run"), 9, 1, onJob: (_, id) => { lock (jobs) { if (id is not null) { jobs.Add(id); } } });
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (jobs.Count == 0 || SlurmCluster.State(jobs[0]) != "RUNNING")
            {
                Assert.True(DateTime.UtcNow < deadline, "the first job never ran");
                await Task.Delay(100);
            }

            File.WriteAllText(flag, "");
            SlurmCluster.SetNode(node, "DOWN");
            await Task.Delay(1500);
        }
        finally
        {
            SlurmCluster.SetNode(node, "RESUME");
        }

        var result = await run.WaitAsync(TimeSpan.FromSeconds(90));

        var log = File.ReadAllText(result.LogPath);
        Assert.Equal(1, result.Metric);
        Assert.Equal(2, jobs.Count);
        Assert.Equal("NODE_FAIL", SlurmCluster.State(jobs[0]));
        Assert.Contains($"job {jobs[0]} ended NODE_FAIL (NodeDown): the cluster's failure, not the code's", log, StringComparison.Ordinal);
        Assert.Contains("retry 1 of 2", log, StringComparison.Ordinal);
        Assert.Contains($"attempt in job {jobs[1]}", log, StringComparison.Ordinal);
        Assert.Contains($"attempt in job {jobs[0]}", File.ReadAllText(result.LogPath + ".job" + jobs[0]));
    }

    [SlurmFact(failNode: true)]
    public async Task With_no_retries_left_a_node_failure_is_a_crash_that_gives_slurms_reason()
    {
        using var toy = new ToyWorkspace();
        var spec = SpecWith(toy, "'echo started; sleep 600'", slurm: "partition = \"fail\"\nretries = 0\n");
        var node = SlurmCluster.FailNode!;
        string? job = null;

        var run = new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 10, 1, onJob: (_, id) => job ??= id);
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (job is null || SlurmCluster.State(job) != "RUNNING")
            {
                Assert.True(DateTime.UtcNow < deadline, "the job never ran");
                await Task.Delay(100);
            }

            SlurmCluster.SetNode(node, "DOWN");
            await Task.Delay(1500);
        }
        finally
        {
            SlurmCluster.SetNode(node, "RESUME");
        }

        var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

        var (status, error) = result.Judge(spec);
        Assert.Equal(ExperimentStatus.Crash, status);
        Assert.Contains($"the cluster failed job {job}: NODE_FAIL (NodeDown), after 0 retries ([slurm] retries)", error, StringComparison.Ordinal);
    }

    [SlurmFact]
    public async Task A_job_the_scheduler_refuses_is_an_error_that_names_the_setting()
    {
        using var toy = new ToyWorkspace();
        var spec = SpecWith(toy, "'echo \"score: 1\"'", slurm: "partition = \"no-such-partition\"\n");

        var e = await Assert.ThrowsAsync<ResearchException>(() => new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 5, 1));

        Assert.Contains("sbatch refused the job", e.Message, StringComparison.Ordinal);
        Assert.Contains("--partition=no-such-partition", e.Message, StringComparison.Ordinal);
        Assert.Contains("[slurm]", e.Message, StringComparison.Ordinal);
    }

    [SlurmFact]
    public async Task In_the_sandbox_the_job_runs_the_same_bwrap_line_and_cannot_write_outside_its_worktree()
    {
        using var toy = new ToyWorkspace();
        // Outside the worktree and the run directory, where the harness's user may write: the sandbox's root is read-only.
        var outside = Path.Combine("/var/tmp", "autoresearch-test-" + Guid.NewGuid().ToString("N"));
        var spec = SpecWith(toy, $"'echo x > {outside}; echo \"write: $?\"; echo \"score: 1\"'", sandbox: true);

        var result = await new ExperimentRunner(spec).RunAsync(toy.Root, Path.Combine(toy.Scratch, "run"), 6, 1);

        var log = File.ReadAllText(result.LogPath);
        Assert.Equal(1, result.Metric);
        Assert.Contains("[autoresearch] sandbox: bwrap", log, StringComparison.Ordinal);
        Assert.Contains("the run is a Slurm job", log, StringComparison.Ordinal);
        Assert.DoesNotContain("write: 0", log, StringComparison.Ordinal);
        Assert.False(File.Exists(outside));
    }

    [SlurmFact]
    public async Task Trusted_scoring_servers_run_through_srun_and_score_as_they_do_locally()
    {
        using var toy = new ToyWorkspace();
        var corpus = new byte[3000];
        new Random(7).NextBytes(corpus);
        for (var i = 1; i < corpus.Length; i += 3)
        {
            corpus[i] = corpus[i - 1];
        }

        var data = Path.Combine(toy.Scratch, "corpus.bin");
        File.WriteAllBytes(data, corpus);
        File.WriteAllText(Path.Combine(toy.Root, "server.py"), TrustedScoringTests.Server);
        ResearchSpec Spec(string mode) => SpecWith(toy, "'echo \"split=$AUTORESEARCH_SPLIT job=$SLURM_JOB_ID\"; echo ok'", slurm: "", extra: $"""
            [score]
            mode = "trusted"
            serve = "echo server in job $SLURM_JOB_ID >&2; exec python3 {Path.Combine(toy.Root, "server.py")} {mode}"
            data = "{data}"
            """);

        var honest = await new ExperimentRunner(Spec("honest")).RunAsync(toy.Root, Path.Combine(toy.Scratch, "honest"), 7, 1);
        var peek = await new ExperimentRunner(Spec("peek")).RunAsync(toy.Root, Path.Combine(toy.Scratch, "peek"), 8, 1);

        var log = File.ReadAllText(honest.LogPath);
        Assert.Contains("split=train job=", log, StringComparison.Ordinal);
        Assert.Equal(TrustedScoringTests.Expected(corpus[^(corpus.Length / 10)..]), honest.Metric!.Value, 5);
        Assert.Matches("server in job [0-9]+", File.ReadAllText(Path.Combine(toy.Scratch, "honest", "score-1.log")));
        Assert.True(peek.ScoreViolation, File.ReadAllText(peek.LogPath));
        Assert.Equal(ExperimentStatus.Rejected, peek.Judge(Spec("peek")).Status);
        // Nothing of either experiment is left queued or running: the servers' allocations ended with scoring.
        Assert.Empty(SlurmCluster.Jobs(SlurmCluster.Prefix(toy.Root)));
    }

    /// <summary>A spec whose runs are Slurm jobs of one core, with <paramref name="command"/> as the run command (a TOML string as written).</summary>
    private static ResearchSpec SpecWith(
        ToyWorkspace toy, string command, int timeoutSeconds = 60, string slurm = "", bool sandbox = false, string extra = "") => SpecLoader.FromToml(
        toy.Root,
        "t",
        $"[objective]\nmetric = \"score\"\ndirection = \"minimize\"\n[run]\ncommand = {command}\ntimeout_seconds = {timeoutSeconds}\nexecutor = \"slurm\"\n" +
        $"sandbox = \"{(sandbox ? "bwrap" : "none")}\"\n[scope]\neditable = [\"knobs.sh\"]\n{extra}\n{SlurmCluster.Toml(slurm)}");
}
