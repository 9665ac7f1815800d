using System.Globalization;

namespace AutoResearch.Core.Proposers.Search;

/// <summary>
/// The values a knob may take: a numeric range (optionally log-scaled, optionally integer, optionally powers of two)
/// or a list of choices (booleans and strings). Frozen knobs are never changed. Maps literals to and from a
/// coordinate of the unit cube the optimizer searches.
/// </summary>
public sealed record KnobSpace
{
    /// <summary>The most integer values searched as a grid of levels; wider integer ranges are searched continuously and rounded.</summary>
    private const int MaxIntegerLevels = 64;

    public KnobKind Kind { get; init; }

    public double Low { get; init; }

    public double High { get; init; }

    /// <summary>Searched on a log scale (positive ranges only).</summary>
    public bool Log { get; init; }

    /// <summary>Integers that stay powers of two.</summary>
    public bool PowerOfTwo { get; init; }

    public IReadOnlyList<string> Choices { get; init; } = [];

    public bool Frozen { get; init; }

    /// <summary>The coordinate this space becomes for the optimizer.</summary>
    internal SearchDimension Dimension() => Kind switch
    {
        KnobKind.Boolean or KnobKind.Choice => new SearchDimension(Math.Max(2, Choices.Count)),
        KnobKind.Integer when PowerOfTwo => new SearchDimension(Math.Max(2, (int)Math.Round(Math.Log2(High / Low)) + 1)),
        KnobKind.Integer when !Log && High - Low < MaxIntegerLevels => new SearchDimension(Math.Max(2, (int)(Math.Floor(High) - Math.Ceiling(Low)) + 1)),
        _ => SearchDimension.Continuous,
    };

    /// <summary>The unit coordinate of <paramref name="literal"/>, clamped to [0, 1]; null when it cannot be read.</summary>
    internal double? ToUnit(string literal)
    {
        if (Kind is KnobKind.Boolean or KnobKind.Choice)
        {
            var index = Choices.Select(Unquote).ToList().IndexOf(Unquote(literal));
            return index < 0 ? null : Choices.Count < 2 ? 0 : (double)index / (Choices.Count - 1);
        }

        if (!KnobScanner.TryParseNumber(literal, out var value, out _))
        {
            return null;
        }

        if (Kind == KnobKind.Integer && PowerOfTwo)
        {
            var steps = Math.Round(Math.Log2(High / Low));
            return steps <= 0 ? 0 : Math.Clamp(Math.Log2(Math.Max(value, Low) / Low) / steps, 0, 1);
        }

        var (low, high) = Kind == KnobKind.Integer && !Log ? (Math.Ceiling(Low), Math.Floor(High)) : (Low, High);
        var u = Log
            ? (Math.Log(Math.Max(value, low)) - Math.Log(low)) / (Math.Log(high) - Math.Log(low))
            : (value - low) / (high - low);
        return double.IsFinite(u) ? Math.Clamp(u, 0, 1) : 0;
    }

    /// <summary>The literal at unit coordinate <paramref name="unit"/>, written in the style of <paramref name="original"/>.</summary>
    internal string ToLiteral(double unit, string original)
    {
        var u = Math.Clamp(unit, 0, 1);
        switch (Kind)
        {
            case KnobKind.Boolean or KnobKind.Choice:
                return Choices.Count == 0 ? original : Choices[(int)Math.Round(u * (Choices.Count - 1))];
            case KnobKind.Integer when PowerOfTwo:
                var steps = Math.Round(Math.Log2(High / Low));
                return ((long)(Low * Math.Pow(2, Math.Round(u * steps)))).ToString(CultureInfo.InvariantCulture);
            case KnobKind.Integer:
                var (low, high) = Log ? (Low, High) : (Math.Ceiling(Low), Math.Floor(High));
                var v = Log ? Math.Exp(Math.Log(low) + (u * (Math.Log(high) - Math.Log(low)))) : low + (u * (high - low));
                return ((long)Math.Clamp(Math.Round(v), Math.Ceiling(Low), Math.Floor(High))).ToString(CultureInfo.InvariantCulture);
            default:
                var f = Log ? Math.Exp(Math.Log(Low) + (u * (Math.Log(High) - Math.Log(Low)))) : Low + (u * (High - Low));
                return FormatFloat(f, original);
        }
    }

    private static string Unquote(string s) => s.Trim('"', '\'');

    /// <summary>Three significant digits, in the style of the original literal (e-notation, C# suffix, a decimal point).</summary>
    private static string FormatFloat(double value, string original)
    {
        var suffix = original.Length > 0 && char.IsLetter(original[^1]) && !original.EndsWith('e') ? original[^1].ToString() : "";
        var rounded = double.Parse(value.ToString("G3", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        string text;
        if (original.Contains('e', StringComparison.OrdinalIgnoreCase) && rounded != 0)
        {
            var exponent = (int)Math.Floor(Math.Log10(Math.Abs(rounded)));
            var mantissa = Math.Round(rounded / Math.Pow(10, exponent), 2);
            text = mantissa.ToString("0.##", CultureInfo.InvariantCulture) + "e" + exponent.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            text = rounded.ToString("0.################", CultureInfo.InvariantCulture);
            if (!text.Contains('.', StringComparison.Ordinal))
            {
                text += ".0";
            }
        }

        return text + suffix;
    }
}
