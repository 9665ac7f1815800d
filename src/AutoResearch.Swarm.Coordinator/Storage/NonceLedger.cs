namespace AutoResearch.Swarm.Coordinator.Storage;

/// <summary>
/// Every signed request's (key, nonce), with the reply it got: a replay gets the stored reply and changes nothing. Used inside
/// the request's own transaction, so the nonce, the request's effects and the stored reply commit together: a request either
/// happened once with its reply on record, or not at all. Rows older than twice the clock skew are purged (such a request is
/// refused for its time anyway).
/// </summary>
internal static class NonceLedger
{
    /// <summary>The outcome of reserving a nonce: fresh, or used before (with its reply when that request finished).</summary>
    public sealed record Reservation(bool Fresh, int? Status, string? Reply);

    /// <summary>
    /// Records (key, nonce) in <paramref name="s"/>'s transaction. A concurrent request with the same nonce waits on PostgreSQL
    /// until this one commits (then it finds the stored reply) or rolls back (then it is fresh).
    /// </summary>
    public static async Task<Reservation> ReserveAsync(Session s, string key, string nonce, long nowMs, CancellationToken cancellationToken)
    {
        var inserted = await s.ExecAsync("INSERT INTO requests (key, nonce, at_ms) VALUES (@k, @n, @t) ON CONFLICT (key, nonce) DO NOTHING",
            cancellationToken, ("@k", key), ("@n", nonce), ("@t", nowMs)).ConfigureAwait(false);
        if (inserted == 1)
        {
            return new Reservation(true, null, null);
        }

        var stored = await s.SingleAsync("SELECT status, reply FROM requests WHERE key = @k AND nonce = @n",
            r => new Reservation(false, r.NullableLong("status") is { } v ? (int)v : null, r.NullableText("reply")),
            cancellationToken, ("@k", key), ("@n", nonce)).ConfigureAwait(false);
        return stored ?? new Reservation(false, null, null);
    }

    /// <summary>Stores the reply to (key, nonce) in the same transaction as the reservation.</summary>
    public static Task CompleteAsync(Session s, string key, string nonce, int status, string reply, CancellationToken cancellationToken) =>
        s.ExecAsync("UPDATE requests SET status = @s, reply = @r WHERE key = @k AND nonce = @n",
            cancellationToken, ("@s", status), ("@r", reply), ("@k", key), ("@n", nonce));
}
