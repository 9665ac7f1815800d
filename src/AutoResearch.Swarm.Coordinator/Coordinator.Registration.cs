using System.Security.Cryptography;
using System.Text;
using AutoResearch.Swarm.Coordinator.Storage;
using AutoResearch.Swarm.Protocol.Messages;

namespace AutoResearch.Swarm.Coordinator;

internal sealed partial class Coordinator
{
    /// <summary>
    /// Registers <paramref name="key"/>. Its owner is the key itself unless the operator linked it to a named owner
    /// (<see cref="CoordinatorOptions.Owners"/>): the owner a worker declares is not believed, since a fresh name would be a
    /// fresh owner, past the per-owner slot cap and the rule that one owner's keys never verify each other. In an invite-only
    /// swarm a new key needs a valid invitation (trusted keys, and keys already registered, do not). Registering again is allowed.
    /// </summary>
    public async Task<RegisterReply> RegisterAsync(string key, RegisterRequest request, CancellationToken cancellationToken)
    {
        var name = request.Name is { Length: > 100 } n ? n[..100] : request.Name;
        var owner = OwnerOf(key);
        var trusted = _trusted.Contains(key);
        var now = Now;
        var caller = await _db.WriteAsync(async s =>
        {
            var known = await s.ScalarAsync<long>("SELECT COUNT(*) FROM workers WHERE key = @k", cancellationToken, ("@k", key)).ConfigureAwait(false) > 0;
            if (!known && !trusted && _options.Invites.Count > 0 && !IsInvited(request.Invite))
            {
                throw new Refusal(403, "invitation required", request.Invite is null
                    ? "this swarm registers new keys by invitation only; pass the token its operator gave you (`autoresearch worker --invite TOKEN`)"
                    : "this invitation token is not valid here; ask the swarm's operator for one", "invite");
            }

            await s.ExecAsync(
                "INSERT INTO workers (key, owner, name, trusted, registered_ms, last_seen_ms) VALUES (@k, @o, @n, @t, @now, @now) ON CONFLICT (key) DO NOTHING",
                cancellationToken, ("@k", key), ("@o", owner), ("@n", name), ("@t", trusted), ("@now", now)).ConfigureAwait(false);
            return await s.SingleAsync("SELECT key, owner, trusted, trust, vouched FROM workers WHERE key = @k", ReadCaller, cancellationToken, ("@k", key))
                .ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        return new RegisterReply(key, caller!.Owner, caller.Trusted, Quota(caller.Trust, caller.Trusted),
            ProjectInfo(await SigmaAsync(cancellationToken).ConfigureAwait(false)));
    }

    /// <summary>
    /// Makes every registered key's owner what the options say (its link, else itself), once at start: links change with the
    /// operator's command line, and databases from before owners were keys hold self-declared names.
    /// </summary>
    public Task ApplyOwnersAsync(CancellationToken cancellationToken) =>
        _db.WriteAsync(async s =>
        {
            var rows = await s.QueryAsync("SELECT key, owner FROM workers", r => (Key: r.Text("key"), Owner: r.Text("owner")), cancellationToken)
                .ConfigureAwait(false);
            foreach (var (key, _) in rows.Where(r => r.Owner != OwnerOf(r.Key)))
            {
                await s.ExecAsync("UPDATE workers SET owner = @o WHERE key = @k", cancellationToken, ("@o", OwnerOf(key)), ("@k", key)).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken);

    private string OwnerOf(string key) => _options.Owners.TryGetValue(key, out var owner) ? owner.Trim() : key;

    private bool IsInvited(string? invite)
    {
        if (invite is null)
        {
            return false;
        }

        // Compared in constant time, over hashes so that lengths leak nothing either.
        var offered = SHA256.HashData(Encoding.UTF8.GetBytes(invite));
        var found = false;
        foreach (var token in _options.Invites)
        {
            found |= CryptographicOperations.FixedTimeEquals(offered, SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        }

        return found;
    }

    /// <summary>
    /// Without trusted keys, a claim by a key with no record (no verified result yet, or reset by a false one) needs a verifier
    /// with a record in each round: its first job is an anchor only such a key may take, and its majority must include one. So
    /// two fresh keys cannot verify each other's fabricated claims. Only once some other owner has a record: a new swarm
    /// has none, and its first claims are decided by the quorum alone (a trusted key closes that gap).
    /// </summary>
    private static async Task<bool> NeedsRecordAsync(Session s, string claimer, string owner, CancellationToken cancellationToken) =>
        await s.ScalarAsync<long>("SELECT COUNT(*) FROM workers WHERE key = @k AND (trusted = 1 OR trust >= 1)", cancellationToken, ("@k", claimer))
            .ConfigureAwait(false) == 0
        && await s.ScalarAsync<long>("SELECT COUNT(*) FROM workers WHERE owner <> @o AND (trusted = 1 OR trust >= 1)", cancellationToken, ("@o", owner))
            .ConfigureAwait(false) > 0;
}
