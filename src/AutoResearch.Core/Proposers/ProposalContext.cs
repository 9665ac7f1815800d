using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Proposers;

/// <summary>What a proposer knows when it makes a change.</summary>
/// <param name="Spec">The workspace's spec (metric, direction, editable scope, run command).</param>
/// <param name="Worktree">Where to edit: a checkout of the current best commit.</param>
/// <param name="RunDirectory">The experiment's folder for prompts, logs and notes.</param>
/// <param name="Experiment">The experiment being proposed (its id and sequence number).</param>
/// <param name="Best">The current best experiment (the baseline at first).</param>
/// <param name="History">Finished experiments of this run, oldest first.</param>
/// <param name="LastCrashLogTail">The tail of the most recent crash or timeout log, when there is one.</param>
public sealed record ProposalContext(
    ResearchSpec Spec,
    string Worktree,
    string RunDirectory,
    ExperimentRecord Experiment,
    ExperimentRecord Best,
    IReadOnlyList<ExperimentRecord> History,
    string? LastCrashLogTail);
