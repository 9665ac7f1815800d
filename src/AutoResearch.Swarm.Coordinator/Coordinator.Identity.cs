using System.Text.Json;
using AutoResearch.Core.Workspace;
using AutoResearch.Swarm.Coordinator.Storage;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// The identity of a patch is its effect, never its text. The coordinator applies each claim to its parent's tree in a scratch
/// index (<see cref="ChainTrees"/>) and reads back what git would commit: the resulting tree and the changed entries. The claim's
/// <c>effect</c> is <see cref="PatchEffect.Identity"/>: SHA-256 over every changed entry's old and new mode, old and new blob
/// and path. Two claims are "the same patch" when their effects are equal: the same files go from the same contents to the
/// same contents, whatever the text (hunk context, header spacing, hunk or file order) and whichever head it was made on, as
/// long as the files it changes are the same there. A change is "already in the head" when it changes nothing on its parent or
/// its resulting tree is the head's tree. What a key was sent to verify is also remembered by the edit's
/// <see cref="PatchEffect.Signature"/> (its changed lines, wherever they sit), so a claim rebased onto a newer head, whose
/// effect there differs, is still the claimer's and not its verifier's.
/// </summary>
internal sealed partial class Coordinator
{
    /// <summary>
    /// Has git read a claim before its request's transaction opens (<see cref="RequestGate"/>), so the transaction, which on
    /// SQLite holds the only writer lock, compares and stores without running git: the effect of the patch on the lease's head
    /// (fixed when the lease was granted, so known without a write) and the current head's tree go into <see cref="ChainTrees"/>'
    /// caches, where <see cref="InspectAsync"/> and <see cref="KnownEffectAsync"/> then find them. Nothing is decided here:
    /// a body that does not parse, a lease that is not this key's active explore lease (a replay finds its lease done) or a
    /// patch the text checks refuse is left to the transaction, which refuses it as before.
    /// </summary>
    public async Task PrepareClaimAsync(string key, byte[] body, CancellationToken cancellationToken)
    {
        ClaimSchema request;
        try
        {
            request = ClaimSchema.Check(JsonSerializer.Deserialize<ClaimRequest>(body, SwarmJson.Options));
        }
        catch (JsonException)
        {
            // Not a claim: the endpoint's binding refuses it.
            return;
        }
        catch (Refusal)
        {
            // A field at fault: the handler refuses it with the field's name.
            return;
        }

        var lease = await _db.ReadAsync(s => s.SingleAsync("SELECT worker, kind, head_seq, state FROM leases WHERE id = @id",
            r => new LeaseGlance(r.Text("worker"), r.Text("kind"), r.Long("head_seq"), r.Text("state")),
            cancellationToken, ("@id", request.LeaseId)), cancellationToken).ConfigureAwait(false);
        if (lease is not { Kind: "explore", State: "active" } || lease.Worker != key
            || PatchInspector.Problems(request.Patch, Project.Spec.Scope, Project.MaxPatchBytes).Count > 0)
        {
            return;
        }

        await _trees.ReadAsync(lease.HeadSeq, request.Patch, cancellationToken).ConfigureAwait(false);
        var head = await _db.ReadAsync(s => HeadAsync(s, lockRow: false, cancellationToken), cancellationToken).ConfigureAwait(false);
        await _trees.TreeAsync(head.Sequence, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Why a claimed patch may not be verified (the text checks of <see cref="PatchInspector"/>, then git's reading: git refuses
    /// it on its parent, or it makes or changes a symlink or submodule, leaves the workspace or touches a file that is not
    /// editable), and its effect when git could read it.
    /// </summary>
    private async Task<(IReadOnlyList<string> Problems, PatchEffect? Effect)> InspectAsync(string patch, long parentSeq, CancellationToken cancellationToken)
    {
        var problems = PatchInspector.Problems(patch, Project.Spec.Scope, Project.MaxPatchBytes);
        if (problems.Count > 0)
        {
            return (problems, null);
        }

        var effect = await _trees.ReadAsync(parentSeq, patch, cancellationToken).ConfigureAwait(false);
        return effect.Applies || effect.AlreadyApplied
            ? (effect.Problems(Project.Spec.Scope), effect)
            : ([$"git does not apply the patch to its parent, head {parentSeq}: {effect.Reason}"], effect);
    }

    /// <summary>
    /// Why a claim of <paramref name="effect"/> earns nothing: the change is already in the head; it was sent to this key to
    /// verify; or an earlier claim has the same effect (the first claim keeps the credit): pending or accepted, or closed as
    /// rejected or false (a new text of a refuted change is not verified again), or stale when it was another owner's (only the
    /// owner of a stale claim may claim it again). Null when the change is new.
    /// </summary>
    private async Task<string?> KnownEffectAsync(Session s, Caller caller, PatchEffect effect, CancellationToken cancellationToken)
    {
        if (effect.AlreadyApplied)
        {
            return "the patch applies only in reverse to its parent: the change is already in the head";
        }

        if (effect.Entries.Count == 0)
        {
            return "the patch changes nothing on its parent: the change is already in the head";
        }

        var head = await HeadAsync(s, lockRow: false, cancellationToken).ConfigureAwait(false);
        if (effect.Tree == await _trees.TreeAsync(head.Sequence, cancellationToken).ConfigureAwait(false))
        {
            return $"the patch's result is the code of head {head.Sequence}: the change is already in the head";
        }

        if (await s.ScalarAsync<long>("SELECT COUNT(*) FROM exposed WHERE worker = @k AND effect IN (@e, @sig)",
            cancellationToken, ("@k", caller.Key), ("@e", effect.Identity), ("@sig", effect.Signature.Length > 0 ? effect.Signature : effect.Identity))
            .ConfigureAwait(false) > 0)
        {
            return "this change was sent to you to verify; credit goes to the first claim of it";
        }

        var first = await s.SingleAsync(
            """
            SELECT id, status, reason FROM claims
            WHERE effect = @e AND (status IN ('pending', 'accepted', 'rejected', 'false') OR (status = 'stale' AND owner <> @o))
            ORDER BY id LIMIT 1
            """,
            r => new EarlierClaim(r.Long("id"), r.Text("status"), r.NullableText("reason")),
            cancellationToken, ("@e", effect.Identity), ("@o", caller.Owner)).ConfigureAwait(false);
        return first?.Status switch
        {
            null => null,
            "accepted" => $"the same change is already in the chain (claim #{first.Id})",
            "pending" => $"the same change was claimed first as #{first.Id}",
            "stale" => $"the same change was claimed first as #{first.Id} by another owner; only its owner may claim it again",
            _ => $"the same change was claimed as #{first!.Id} and found {first.Status} ({first.Reason}); it is not verified again",
        };
    }

    /// <summary>The form of <see cref="PatchEffect.Signature"/> stored now: the edit's line multisets (1 was git's zero-context diff text).</summary>
    internal const long SignatureFormat = 2;

    /// <summary>
    /// Brings stored signatures to <see cref="SignatureFormat"/> once, at start: every claim's signature is read again from
    /// its patch and parent, and each key that was sent it to verify is remembered under the new one as well, so a claim
    /// exposed before an upgrade stays its claimer's after it. Idempotent; a coordinator killed midway does it again.
    /// </summary>
    public async Task RefreshSignaturesAsync(CancellationToken cancellationToken)
    {
        var format = await _db.ReadAsync(s => s.ScalarAsync<long?>("SELECT signature_format FROM state WHERE id = 1", cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        if (format == SignatureFormat)
        {
            return;
        }

        var claims = await _db.ReadAsync(s => s.QueryAsync("SELECT id, parent_seq, patch, signature FROM claims WHERE signature IS NOT NULL",
            r => (Id: r.Long("id"), Parent: r.Long("parent_seq"), Patch: r.Text("patch"), Signature: r.Text("signature")), cancellationToken), cancellationToken)
            .ConfigureAwait(false);
        var renewed = new List<(long Id, string Old, string New)>();
        foreach (var claim in claims)
        {
            var effect = await _trees.ReadAsync(claim.Parent, claim.Patch, cancellationToken).ConfigureAwait(false);
            if (effect.Signature.Length > 0 && effect.Signature != claim.Signature)
            {
                renewed.Add((claim.Id, claim.Signature, effect.Signature));
            }
        }

        await _db.WriteAsync(async s =>
        {
            foreach (var (id, old, renewedSignature) in renewed)
            {
                await s.ExecAsync("UPDATE claims SET signature = @new WHERE id = @id", cancellationToken, ("@new", renewedSignature), ("@id", id)).ConfigureAwait(false);
                await s.ExecAsync("INSERT INTO exposed (worker, effect) SELECT worker, @new FROM exposed WHERE effect = @old ON CONFLICT DO NOTHING",
                    cancellationToken, ("@new", renewedSignature), ("@old", old)).ConfigureAwait(false);
            }

            await s.ExecAsync("UPDATE state SET signature_format = @f WHERE id = 1", cancellationToken, ("@f", SignatureFormat)).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    private sealed record LeaseGlance(string Worker, string Kind, long HeadSeq, string State);

    private sealed record EarlierClaim(long Id, string Status, string? Reason);
}
