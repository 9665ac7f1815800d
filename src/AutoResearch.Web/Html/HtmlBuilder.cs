using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;

namespace AutoResearch.Web.Html;

/// <summary>
/// An interpolated string handler that HTML-encodes every hole except <see cref="HtmlText"/>, so markup built with
/// <see cref="Markup.Of"/> cannot carry a patch's or a description's <c>&lt;script&gt;</c> through unescaped.
/// Numbers format with the invariant culture.
/// </summary>
[InterpolatedStringHandler]
public ref struct HtmlBuilder
{
    private DefaultInterpolatedStringHandler _inner;

    public HtmlBuilder(int literalLength, int formattedCount)
    {
        _inner = new DefaultInterpolatedStringHandler(literalLength, formattedCount, CultureInfo.InvariantCulture);
    }

    public void AppendLiteral(string value) => _inner.AppendLiteral(value);

    public void AppendFormatted(HtmlText value) => _inner.AppendLiteral(value.Value ?? "");

    public void AppendFormatted(IEnumerable<HtmlText> values)
    {
        foreach (var value in values)
        {
            _inner.AppendLiteral(value.Value ?? "");
        }
    }

    public void AppendFormatted(string? value) => _inner.AppendLiteral(WebUtility.HtmlEncode(value ?? ""));

    public void AppendFormatted<T>(T value, string? format = null)
    {
        // A List<HtmlText> or a boxed HtmlText binds here rather than to the overloads above.
        if (value is HtmlText html)
        {
            AppendFormatted(html);
            return;
        }

        if (value is IEnumerable<HtmlText> many)
        {
            AppendFormatted(many);
            return;
        }

        var text = value switch
        {
            null => "",
            IFormattable f => f.ToString(format, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
        _inner.AppendLiteral(WebUtility.HtmlEncode(text));
    }

    public string ToStringAndClear() => _inner.ToStringAndClear();
}
