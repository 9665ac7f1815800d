using System.Net;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// What a registration costs: a token from its address's bucket and one from the bucket all addresses share (so a farm of
/// keys grows at most as fast as the operator allows). Behind a load balancer each coordinator limits on its own, and every
/// client there has the balancer's address: give each instance the per-address rate you mean in all.
/// </summary>
internal sealed class Registrations(CoordinatorOptions options, TimeProvider time)
{
    private const string Everyone = "*";
    private readonly RateLimiter _perAddress = new(options.RegistrationsPerMinutePerAddress / 60, options.RegistrationsPerMinutePerAddress, time);
    private readonly RateLimiter _overall = new(options.RegistrationsPerMinute / 60, options.RegistrationsPerMinute, time);

    /// <summary>Takes a registration for <paramref name="address"/>; null when allowed, else why not and how long to wait.</summary>
    public (string Detail, TimeSpan RetryAfter)? TryTake(IPAddress? address)
    {
        // IPv4 clients reached over a dual-stack socket are one address, written either way.
        var from = (address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address)?.ToString() ?? "unknown";
        if (!_perAddress.TryTake(from, out var wait))
        {
            return ($"more than {options.RegistrationsPerMinutePerAddress} new keys per minute from {from}; reuse your key (it is kept in the worker's key file)", wait);
        }

        if (!_overall.TryTake(Everyone, out wait))
        {
            return ($"the coordinator takes at most {options.RegistrationsPerMinute} new keys per minute from everyone; try again later", wait);
        }

        return null;
    }
}
