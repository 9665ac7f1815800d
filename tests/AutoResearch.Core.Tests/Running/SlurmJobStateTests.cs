using AutoResearch.Core.Running.Slurm;

namespace AutoResearch.Core.Tests.Running;

public sealed class SlurmJobStateTests
{
    // What Slurm 22.05's `scontrol show job --oneliner` printed for a finished job (trimmed of fields nobody reads).
    private const string Completed = "JobId=2 JobName=wrap UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901758 Nice=0 Account=(null) " +
        "QOS=(null) JobState=COMPLETED Reason=None Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=0:0 RunTime=00:00:02 " +
        "TimeLimit=UNLIMITED StartTime=2026-12-07T17:12:16 Partition=debug NodeList=vm BatchHost=vm NumNodes=1 NumCPUs=1 " +
        "Command=(null) WorkDir=/tmp/sl StdErr=/tmp/sl/j.out StdIn=/dev/null StdOut=/tmp/sl/j.out Power= \n";

    [Fact]
    public void A_finished_job_reads_as_completed_with_its_exit_code_and_node()
    {
        var state = SlurmJobState.Parse(Completed)!;

        Assert.Equal("COMPLETED", state.State);
        Assert.Null(state.Reason);
        Assert.Equal((0, 0), (state.ExitCode, state.Signal));
        Assert.Equal("vm", state.Node);
        Assert.True(state.IsTerminal);
        Assert.False(state.IsPending);
        Assert.False(state.IsClusterFailure);
    }

    [Theory]
    [InlineData("JobState=PENDING Reason=JobHeldUser ExitCode=0:0 BatchHost=(null)", "PENDING", "JobHeldUser", 0, 0, false, true, false)]
    [InlineData("JobState=RUNNING Reason=None ExitCode=0:0 BatchHost=node7", "RUNNING", null, 0, 0, false, false, false)]
    [InlineData("JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0", "FAILED", "NonZeroExitCode", 3, 0, true, false, false)]
    [InlineData("JobState=CANCELLED Reason=None ExitCode=0:15", "CANCELLED", null, 0, 15, true, false, false)]
    [InlineData("JobState=NODE_FAIL Reason=NodeDown ExitCode=0:0", "NODE_FAIL", "NodeDown", 0, 0, true, false, true)]
    [InlineData("JobState=PREEMPTED Reason=None ExitCode=0:0", "PREEMPTED", null, 0, 0, true, false, true)]
    [InlineData("JobState=OUT_OF_MEMORY Reason=OutOfMemory ExitCode=0:125", "OUT_OF_MEMORY", "OutOfMemory", 0, 125, true, false, false)]
    [InlineData("JobState=COMPLETING Reason=None ExitCode=0:0", "COMPLETING", null, 0, 0, false, false, false)]
    public void Each_state_says_whether_it_waits_has_ended_and_whose_failure_it_is(
        string text, string name, string? reason, int exit, int signal, bool terminal, bool pending, bool cluster)
    {
        var state = SlurmJobState.Parse(text)!;

        Assert.Equal(name, state.State);
        Assert.Equal(reason, state.Reason);
        Assert.Equal((exit, signal), (state.ExitCode, state.Signal));
        Assert.Equal((terminal, pending, cluster), (state.IsTerminal, state.IsPending, state.IsClusterFailure));
    }

    [Fact]
    public void Text_without_a_state_is_no_state_and_the_first_of_a_repeated_field_wins()
    {
        Assert.Null(SlurmJobState.Parse("slurm_load_jobs error: Invalid job id specified"));
        Assert.Null(SlurmJobState.Parse(""));
        // A later field that happens to hold "JobState=" (a path, a comment) never overrides the real one.
        Assert.Equal("RUNNING", SlurmJobState.Parse("JobState=RUNNING Comment=x WorkDir=/tmp/JobState=COMPLETED")!.State);
        Assert.Equal("NODE_FAIL (NodeDown)", SlurmJobState.Parse("JobState=NODE_FAIL Reason=NodeDown")!.Describe());
    }
}
