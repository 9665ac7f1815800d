using System.Diagnostics;
using AutoResearch.Core.Proposers;

namespace AutoResearch.Tests.Support;

/// <summary>
/// A proposer that runs bash line <c>plan[seq - 1]</c> in the worktree and describes it with the line itself. Keyed by the
/// experiment's sequence number, so it is deterministic and safe to use from parallel slots.
/// </summary>
internal sealed class PlanProposer(params string[] plan) : IProposer
{
    public string Name => "plan";

    public async Task<Proposal> ProposeAsync(ProposalContext context, CancellationToken cancellationToken = default)
    {
        var seq = context.Experiment.Seq;
        if (seq > plan.Length)
        {
            return Proposal.Success("nothing planned");
        }

        var info = new ProcessStartInfo("bash") { WorkingDirectory = context.Worktree, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(plan[seq - 1]);
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync(cancellationToken);
        return process.ExitCode == 0 ? Proposal.Success(plan[seq - 1]) : Proposal.Failure(plan[seq - 1], "plan line failed");
    }
}
