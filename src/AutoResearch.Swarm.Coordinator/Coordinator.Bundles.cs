using System.Globalization;
using AutoResearch.Swarm.Coordinator.Storage;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// Independent wins merged: when a reproduced claim is verified again on a head that moved past its parent, other reproduced
/// claims waiting in the queue whose patches apply together with it on that head ride along. The round verifies the one
/// combined patch; if it wins, the chain takes one link that credits every member; if not, each member goes back to the queue
/// to be verified alone. Only reproduced claims are merged (each member's own numbers were reproduced on its own parent by
/// other workers first), so no member is accepted on claims nobody checked.
/// </summary>
internal sealed partial class Coordinator
{
    /// <summary>The most claims one merged round verifies together (the lead included).</summary>
    public const int MaxBundle = 32;

    /// <summary>How many waiting claims are tried for a merge, best margin first.</summary>
    private const int BundleLookahead = 64;

    /// <summary>
    /// Tries to merge waiting reproduced claims into <paramref name="lead"/>'s round on <paramref name="head"/>: on success the
    /// lead's round verifies the combined patch (<c>round_patch</c>) and the members leave the queue (<c>bundled_in</c>).
    /// Nothing changes when fewer than two claims apply together.
    /// </summary>
    private async Task TryBundleAsync(Session s, long lead, HeadState head, CancellationToken cancellationToken)
    {
        var leadRows = await s.QueryAsync("SELECT patch, alone FROM claims WHERE id = @c",
            r => (Patch: r.Text("patch"), Alone: r.Flag("alone")), cancellationToken, ("@c", lead)).ConfigureAwait(false);
        if (leadRows is not [{ Alone: false } leadRow])
        {
            return;
        }

        var others = await s.QueryAsync(
            """
            SELECT id, patch FROM claims
            WHERE status = 'pending' AND waiting = 1 AND reproduced = 1 AND alone = 0 AND bundled_in IS NULL AND id <> @c
            ORDER BY priority, margin DESC, id LIMIT @n
            """,
            r => (Id: r.Long("id"), Patch: r.Text("patch")), cancellationToken, ("@c", lead), ("@n", BundleLookahead)).ConfigureAwait(false);
        if (others.Count == 0)
        {
            return;
        }

        var patches = others.Select(o => o.Patch).Prepend(leadRow.Patch).ToList();
        if (await _trees.CombineAsync(head.Sequence, patches, MaxBundle, cancellationToken).ConfigureAwait(false) is not { } combined
            || combined.Applied[0] != 0 || combined.Patch.Length == 0 || combined.Patch.Length > Project.MaxPatchBytes)
        {
            // The lead itself does not apply (its verifiers will say so), or nothing applies with it, or the merge is too big.
            return;
        }

        // What the merged change is, as claims are known: a verifier sent it may not claim it (or any member) as its own.
        var effect = await _trees.ReadAsync(head.Sequence, combined.Patch, cancellationToken).ConfigureAwait(false);
        await s.ExecAsync("UPDATE claims SET round_patch = @p, round_effect = @e, round_signature = @sig WHERE id = @c", cancellationToken,
            ("@p", combined.Patch), ("@e", effect.Applies ? effect.Identity : null), ("@sig", effect.Signature is { Length: > 0 } sig ? sig : null), ("@c", lead))
            .ConfigureAwait(false);
        // The ids come from the database as integers: safe to write into the statement.
        var ids = string.Join(',', combined.Applied.Skip(1).Select(i => others[i - 1].Id.ToString(CultureInfo.InvariantCulture)));
        await s.ExecAsync($"UPDATE claims SET waiting = 0, bundled_in = @c WHERE id IN ({ids})", cancellationToken, ("@c", lead)).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends <paramref name="lead"/>'s merge without a link: its members and the lead go back to the queue, each to be verified
    /// alone (a merge that lost says nothing about which member did), with no penalty to anyone.
    /// </summary>
    private static async Task DissolveAsync(Session s, long lead, CancellationToken cancellationToken)
    {
        await s.ExecAsync("UPDATE jobs SET state = 'void' WHERE claim_id = @c AND state IN ('open', 'leased')", cancellationToken, ("@c", lead))
            .ConfigureAwait(false);
        await s.ExecAsync("UPDATE claims SET bundled_in = NULL, waiting = 1, alone = 1 WHERE bundled_in = @c AND status = 'pending'",
            cancellationToken, ("@c", lead)).ConfigureAwait(false);
        await s.ExecAsync("UPDATE claims SET round_patch = NULL, round_effect = NULL, round_signature = NULL, waiting = 1, alone = 1 WHERE id = @c",
            cancellationToken, ("@c", lead)).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes the members merged into <paramref name="lead"/>'s accepted link as accepted, each credited with a share of the
    /// link's verified improvement <paramref name="margin"/> in proportion to the margin its own reproduction verified.
    /// Returns the lead's share (all of <paramref name="margin"/> when nothing was merged).
    /// </summary>
    private static async Task<double> AcceptMembersAsync(Session s, long lead, long sequence, double margin, long now, CancellationToken cancellationToken)
    {
        var members = await s.QueryAsync("SELECT id, worker, margin FROM claims WHERE bundled_in = @c AND status = 'pending'",
            r => (Id: r.Long("id"), Worker: r.Text("worker"), Margin: Math.Max(r.NullableDouble("margin") ?? 0, 0)), cancellationToken, ("@c", lead))
            .ConfigureAwait(false);
        if (members.Count == 0)
        {
            return margin;
        }

        var leadMargin = Math.Max(await s.ScalarAsync<double?>("SELECT margin FROM claims WHERE id = @c", cancellationToken, ("@c", lead)).ConfigureAwait(false) ?? 0, 0);
        var total = members.Sum(m => m.Margin) + leadMargin;
        double Share(double own) => total > 0 ? margin * own / total : margin / (members.Count + 1);
        foreach (var member in members)
        {
            // A member has no round of its own while merged; voided all the same, so no job of a closed claim stays open.
            await s.ExecAsync("UPDATE jobs SET state = 'void' WHERE claim_id = @c AND state IN ('open', 'leased')", cancellationToken, ("@c", member.Id))
                .ConfigureAwait(false);
            await s.ExecAsync("UPDATE claims SET status = 'accepted', reason = @r, decided_ms = @now, waiting = 0 WHERE id = @c",
                cancellationToken, ("@r", string.Create(CultureInfo.InvariantCulture, $"merged into link #{sequence} with claim #{lead}")), ("@now", now), ("@c", member.Id))
                .ConfigureAwait(false);
            await s.ExecAsync(
                "UPDATE workers SET improvement_credit = improvement_credit + @imp, accepted = accepted + 1, trust = trust + 1 WHERE key = @k",
                cancellationToken, ("@imp", Share(member.Margin)), ("@k", member.Worker)).ConfigureAwait(false);
        }

        return Share(leadMargin);
    }
}
