namespace AutoResearch.Swarm.Protocol.Messages;

/// <summary><c>POST /v1/register</c>: introduces the signing key.</summary>
/// <param name="Owner">
/// Who runs the key, as the worker says: shown nowhere and believed by no rule. A key's owner is the key itself unless the
/// coordinator's operator links keys into one owner (<c>--link-owner</c>); one owner's keys never verify one another's claims.
/// </param>
/// <param name="Name">A display name for the dashboard.</param>
/// <param name="Invite">The invitation token, for a swarm that registers new keys by invitation only.</param>
public sealed record RegisterRequest(string? Owner = null, string? Name = null, string? Invite = null);

/// <summary>The reply to <see cref="RegisterRequest"/>.</summary>
/// <param name="Key">The key as the coordinator knows it.</param>
/// <param name="Owner">The owner the coordinator gives it: the key itself, or the name the operator linked it to.</param>
/// <param name="Trusted">True for the project owner's allow-listed verifiers.</param>
/// <param name="Quota">How many leases the key may hold at once now; it grows with verified work.</param>
/// <param name="Project">What the project asks of every run.</param>
public sealed record RegisterReply(string Key, string Owner, bool Trusted, int Quota, ProjectInfo Project);

/// <summary>The project a coordinator serves.</summary>
/// <param name="Name">Its name (the workspace folder's).</param>
/// <param name="Metric">The metric, e.g. <c>val_bpb</c>.</param>
/// <param name="Direction"><c>minimize</c> or <c>maximize</c>.</param>
/// <param name="Editable">The editable globs; a patch touching anything else is refused.</param>
/// <param name="BaseCommit">The git commit the chain starts from; a worker's clone must contain it.</param>
/// <param name="TokenBudget">The training budget in tokens, when the project sets one (runs are comparable across hardware).</param>
/// <param name="Threshold">The improvement a claim must beat (max(min_delta, z·σ)) at the current noise estimate.</param>
/// <param name="Verifiers">How many workers verify each claim (k).</param>
/// <param name="MaxPatchBytes">The largest patch accepted.</param>
/// <param name="Sigma">The noise σ of one run that decisions use; null while the swarm is still measuring it.</param>
public sealed record ProjectInfo(
    string Name, string Metric, string Direction, IReadOnlyList<string> Editable, string BaseCommit, long? TokenBudget,
    double Threshold, int Verifiers, int MaxPatchBytes, double? Sigma = null);
