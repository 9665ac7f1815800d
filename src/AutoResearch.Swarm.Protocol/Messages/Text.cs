namespace AutoResearch.Swarm.Protocol.Messages;

/// <summary>Free text as it may travel: one line, bounded.</summary>
public static class Text
{
    /// <summary><paramref name="text"/> on one line, at most <paramref name="max"/> characters (empty for null).</summary>
    public static string Line(string? text, int max)
    {
        var line = (text ?? "").Replace('\r', ' ').Replace('\n', ' ').Replace('\t', ' ').Trim();
        return line.Length <= max ? line : line[..max];
    }
}
