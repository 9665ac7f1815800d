namespace AutoResearch.Web.Html;

/// <summary>Builds <see cref="HtmlText"/>: <c>Markup.Of($"&lt;td&gt;{description}&lt;/td&gt;")</c> encodes the description.</summary>
public static class Markup
{
    /// <summary>The interpolated markup with every hole HTML-encoded (except <see cref="HtmlText"/>).</summary>
    public static HtmlText Of(ref HtmlBuilder builder) => new(builder.ToStringAndClear());

    /// <summary>The pieces one after another.</summary>
    public static HtmlText Join(IEnumerable<HtmlText> pieces) => new(string.Concat(pieces.Select(p => p.Value)));

    /// <summary>A URL-safe path segment or query value.</summary>
    public static string Url(string value) => Uri.EscapeDataString(value);
}
