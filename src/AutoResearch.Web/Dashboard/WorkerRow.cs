namespace AutoResearch.Web.Dashboard;

/// <summary>One registered worker as the coordinator sees it.</summary>
/// <param name="Id">Its id (e.g. a key fingerprint).</param>
/// <param name="Name">Its display name (untrusted; the pages escape it).</param>
/// <param name="Owner">Who runs it.</param>
/// <param name="State">What it does now, in a word or two (<c>searching</c>, <c>verifying #12</c>, <c>idle</c>, <c>offline</c>).</param>
/// <param name="LastSeen">Its last heartbeat.</param>
/// <param name="Hardware">Its hardware class (e.g. <c>cpu-2core</c>, <c>H100</c>); null when unknown.</param>
/// <param name="Experiments">Experiments it has run.</param>
/// <param name="Verified">Verification jobs it has completed.</param>
/// <param name="Trust">Its trust or quota as the coordinator counts it.</param>
public sealed record WorkerRow(
    string Id,
    string Name,
    string Owner,
    string State,
    DateTimeOffset LastSeen,
    string? Hardware,
    int Experiments,
    int Verified,
    double Trust);
