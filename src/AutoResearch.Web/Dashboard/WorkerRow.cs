namespace AutoResearch.Web.Dashboard;

/// <summary>One registered worker as the coordinator sees it.</summary>
/// <param name="Id">Its id (e.g. its public key).</param>
/// <param name="Name">Its display name, when it gave one (untrusted; the pages encode it).</param>
/// <param name="Owner">Who runs it.</param>
/// <param name="LastSeen">Its last request or heartbeat.</param>
/// <param name="Trusted">Whether it is a trusted (operator's) worker.</param>
/// <param name="Trust">Its trust score as the coordinator counts it.</param>
/// <param name="Quota">How much work it may hold at once, when the coordinator limits it.</param>
/// <param name="State">What it does now, in a word or two, when known (<c>searching</c>, <c>verifying #12</c>).</param>
public sealed record WorkerRow(
    string Id,
    string? Name,
    string Owner,
    DateTimeOffset LastSeen,
    bool Trusted = false,
    int Trust = 0,
    int? Quota = null,
    string? State = null);
