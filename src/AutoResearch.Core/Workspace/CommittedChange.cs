namespace AutoResearch.Core.Workspace;

/// <summary>A proposal, committed.</summary>
/// <param name="Commit">The candidate commit's id.</param>
/// <param name="ChangedPaths">Every path the change touched; a rename appears as both its old and its new name.</param>
/// <param name="Patch">The binary-safe patch from the parent to the candidate.</param>
public sealed record CommittedChange(string Commit, IReadOnlyList<string> ChangedPaths, string Patch);
