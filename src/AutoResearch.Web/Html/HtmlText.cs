namespace AutoResearch.Web.Html;

/// <summary>Text that is already HTML: the only thing the <see cref="HtmlBuilder"/> inserts without encoding.</summary>
/// <param name="Value">The markup.</param>
public readonly record struct HtmlText(string Value)
{
    public static HtmlText Empty { get; } = new("");

    public override string ToString() => Value ?? "";
}
