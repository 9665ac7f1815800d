namespace AutoResearch.Core.Proposers;

/// <summary>
/// Makes one change to the editable files of a worktree and says what it tried. The harness owns
/// everything else: it guards the change, runs it, scores it and decides.
/// </summary>
public interface IProposer
{
    /// <summary>The name recorded in the ledger (<c>cli</c>, <c>search</c>, <c>llm</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Edits files under <see cref="ProposalContext.Worktree"/>. Failures of the agent are returned, not
    /// thrown; throw only when going on is pointless (e.g. the agent's command does not exist).
    /// </summary>
    Task<Proposal> ProposeAsync(ProposalContext context, CancellationToken cancellationToken = default);
}
