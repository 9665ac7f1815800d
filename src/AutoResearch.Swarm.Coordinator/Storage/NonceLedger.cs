namespace AutoResearch.Swarm.Coordinator.Storage;

/// <summary>
/// Every signed request's (key, nonce), with the reply once it is sent: a replay gets the stored reply and changes nothing.
/// Rows older than twice the clock skew are purged (such a request is refused for its time anyway).
/// </summary>
internal sealed class NonceLedger(SwarmDatabase db)
{
    /// <summary>The outcome of reserving a nonce: fresh, or used before (with its reply when that request finished).</summary>
    public sealed record Reservation(bool Fresh, int? Status, string? Reply);

    public Task<Reservation> ReserveAsync(string key, string nonce, long nowMs, CancellationToken cancellationToken) =>
        db.WriteAsync(async s =>
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
        }, cancellationToken);

    public Task CompleteAsync(string key, string nonce, int status, string reply, CancellationToken cancellationToken) =>
        db.WriteAsync(s => s.ExecAsync("UPDATE requests SET status = @s, reply = @r WHERE key = @k AND nonce = @n",
            cancellationToken, ("@s", status), ("@r", reply), ("@k", key), ("@n", nonce)), cancellationToken);
}
