namespace AutoResearch.Core.Spec;

/// <summary>
/// The <c>[notify]</c> section: a JSON POST to <see cref="Webhook"/> on a new best, on
/// <see cref="CrashStreak"/> crashes in a row and at the end of a run. The payload carries <c>text</c> (what a Slack
/// incoming webhook reads) and, with <see cref="Topic"/>, <c>topic</c>, <c>title</c>, <c>message</c> and <c>tags</c>
/// (ntfy's JSON publishing, posted to the server's root URL).
/// </summary>
public sealed record NotifySpec
{
    /// <summary>No notifications (no <c>[notify]</c> section).</summary>
    public static NotifySpec None { get; } = new();

    /// <summary><c>webhook</c>: the http(s) URL to POST to; null for no notifications.</summary>
    public Uri? Webhook { get; init; }

    /// <summary><c>topic</c>: the ntfy topic, sent in the body; null to leave it out (Slack, generic receivers).</summary>
    public string? Topic { get; init; }

    /// <summary><c>crash_streak</c>: how many crashes or timeouts in a row raise a notification. Default 3.</summary>
    public int CrashStreak { get; init; } = 3;
}
