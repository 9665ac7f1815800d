using System.Net;
using System.Net.Http.Json;
using System.Text;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Simulator.Adversaries;

/// <summary>
/// Forgers and replayers: they attack the signed envelope itself, with raw HTTP. An attempt is caught when refused (401) or
/// answered with the stored reply of its first use (a replay), and accepted when it acts as a fresh request.
/// </summary>
internal sealed class ProtocolAttacker(HttpClient http, WorkerKey key, string victimKey, AdversaryTally tally, TimeSpan pause, TimeProvider time)
{
    private readonly SwarmClient _client = new(http, key, time);

    public async Task ForgeAsync(CancellationToken cancellationToken)
    {
        await _client.RegisterAsync(new RegisterRequest("forger"), cancellationToken).ConfigureAwait(false);
        using var stranger = WorkerKey.Generate();
        var turn = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var body = Encoding.UTF8.GetBytes("{\"verify\":true}");
            HttpRequestMessage message;
            switch (turn++ % 3)
            {
                case 0:
                    // A registered key with a signature of random bytes.
                    message = _client.Signed(HttpMethod.Post, "/v1/leases", body, time.GetUtcNow(), CanonicalRequest.NewNonce());
                    message.Headers.Remove(SignedHeaders.Signature);
                    message.Headers.TryAddWithoutValidation(SignedHeaders.Signature, Base64Url.Encode(Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).Concat(Guid.NewGuid().ToByteArray()).Concat(Guid.NewGuid().ToByteArray()).ToArray()));
                    break;
                case 1:
                    // A borrowed key: an honest worker's public key, signed with the forger's own private key.
                    message = _client.Signed(HttpMethod.Post, "/v1/leases", body, time.GetUtcNow(), CanonicalRequest.NewNonce());
                    message.Headers.Remove(SignedHeaders.Key);
                    message.Headers.TryAddWithoutValidation(SignedHeaders.Key, victimKey);
                    break;
                default:
                    // A valid signature by a key the coordinator never registered.
                    message = new SwarmClient(http, stranger, time).Signed(HttpMethod.Post, "/v1/leases", body, time.GetUtcNow(), CanonicalRequest.NewNonce());
                    break;
            }

            await SendAsync(message, cancellationToken).ConfigureAwait(false);
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task ReplayAsync(CancellationToken cancellationToken)
    {
        await _client.RegisterAsync(new RegisterRequest("replayer"), cancellationToken).ConfigureAwait(false);
        var turn = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var body = Encoding.UTF8.GetBytes("{\"verify\":false}");
            var nonce = CanonicalRequest.NewNonce();
            var issued = time.GetUtcNow();
            using (var original = _client.Signed(HttpMethod.Post, "/v1/leases", body, issued, nonce))
            using (var first = await http.SendAsync(original, cancellationToken).ConfigureAwait(false))
            {
                // The captured original itself is not an attack.
            }

            HttpRequestMessage replay;
            switch (turn++ % 3)
            {
                case 0:
                    // Verbatim: same key, nonce, time, body, signature.
                    replay = _client.Signed(HttpMethod.Post, "/v1/leases", body, issued, nonce);
                    break;
                case 1:
                    // The captured signature on a changed body.
                    replay = _client.Signed(HttpMethod.Post, "/v1/leases", body, issued, nonce);
                    replay.Content = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"verify\":true} "));
                    replay.Content.Headers.ContentType = new("application/json");
                    break;
                default:
                    // A stale signature: correctly signed, issued six minutes ago.
                    replay = _client.Signed(HttpMethod.Post, "/v1/leases", body, time.GetUtcNow().AddMinutes(-6), CanonicalRequest.NewNonce());
                    break;
            }

            await SendAsync(replay, cancellationToken).ConfigureAwait(false);
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Takes explore leases and answers each with a claim whose metrics are missing, not numbers, near the largest double or far
    /// out of range. Caught when refused (400, or a claim refused at the door); accepted when it is queued.
    /// </summary>
    public async Task LieAsync(CancellationToken cancellationToken)
    {
        await _client.RegisterAsync(new RegisterRequest("liar"), cancellationToken).ConfigureAwait(false);
        var turn = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            LeaseReply reply;
            try
            {
                reply = await _client.LeaseAsync(new LeaseRequest(Verify: false), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or SwarmCallException)
            {
                // Busy, or refused for its quota: try again later, as a worker would.
                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                continue;
            }

            if (reply.Lease is not { Kind: LeaseKind.Explore } lease)
            {
                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var claim = new Dictionary<string, object?>
            {
                ["lease_id"] = lease.Id,
                ["patch"] = SyntheticObjective.Patch(SyntheticObjective.BaseText, 0, 0.5),
                ["parent_metric"] = 1.0,
                ["claimed_metric"] = 0.5,
                ["log_digest"] = new string('0', 64),
                ["description"] = "a lie",
            };
            switch (turn++ % 5)
            {
                case 0:
                    claim.Remove("claimed_metric");
                    break;
                case 1:
                    claim.Remove("parent_metric");
                    break;
                case 2:
                    (claim["parent_metric"], claim["claimed_metric"]) = (1.7e308, -1.7e308);
                    break;
                case 3:
                    claim["claimed_metric"] = "NaN";
                    break;
                default:
                    (claim["parent_metric"], claim["claimed_metric"]) = (1e290, 1e289);
                    break;
            }

            var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(claim);
            await SendAsync(_client.Signed(HttpMethod.Post, ProtocolVersion.Prefix + "/claims", body, time.GetUtcNow(), CanonicalRequest.NewNonce()), cancellationToken, claim: true)
                .ConfigureAwait(false);
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(HttpRequestMessage message, CancellationToken cancellationToken, bool claim = false)
    {
        using (message)
        {
            tally.Attempt();
            try
            {
                using var response = await http.SendAsync(message, cancellationToken).ConfigureAwait(false);
                var replayed = response.Headers.Contains(SignedHeaders.Replayed);
                var refusedClaim = claim && response.IsSuccessStatusCode
                    && (await response.Content.ReadFromJsonAsync<ClaimReply>(SwarmJson.Options, cancellationToken).ConfigureAwait(false))?.Status == ClaimStatus.Refused;
                if (response.StatusCode is HttpStatusCode.Unauthorized || replayed || (claim && response.StatusCode == HttpStatusCode.BadRequest) || refusedClaim)
                {
                    tally.Catch();
                }
                else if (response.IsSuccessStatusCode)
                {
                    tally.Accept();
                }
            }
            catch (HttpRequestException)
            {
                // The coordinator is busy or restarting: the attempt neither got through nor was caught.
            }
        }
    }
}
