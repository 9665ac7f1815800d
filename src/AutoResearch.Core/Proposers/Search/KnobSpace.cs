using System.Globalization;

namespace AutoResearch.Core.Proposers.Search;

/// <summary>
/// The values a knob may take: a numeric range (optionally log-scaled, optionally integer, optionally powers of two,
/// optionally a decay rate searched as 1 - value) or a list of choices (booleans and strings). Frozen knobs are never
/// changed. Maps literals to and from a coordinate of the unit cube the optimizer searches.
/// </summary>
public sealed record KnobSpace
{
    /// <summary>The most integer values searched as a grid of levels; wider integer ranges are searched continuously and rounded.</summary>
    private const int MaxIntegerLevels = 64;

    /// <summary>What kind of literal the knob is.</summary>
    public KnobKind Kind { get; init; }

    /// <summary>The smallest value searched (numeric knobs).</summary>
    public double Low { get; init; }

    /// <summary>The largest value searched (numeric knobs).</summary>
    public double High { get; init; }

    /// <summary>Searched on a log scale (positive ranges only); with <see cref="Complement"/>, a log scale of 1 - value.</summary>
    public bool Log { get; init; }

    /// <summary>
    /// A decay rate in (0, 1) such as Adam's betas or an EMA decay: the search moves 1 - value (on a log scale when
    /// <see cref="Log"/>), so 0.9, 0.99 and 0.999 are evenly spaced and the value never reaches 1.
    /// </summary>
    public bool Complement { get; init; }

    /// <summary>Integers that stay powers of two.</summary>
    public bool PowerOfTwo { get; init; }

    /// <summary>The literals a boolean or choice knob may take, as written in the file.</summary>
    public IReadOnlyList<string> Choices { get; init; } = [];

    /// <summary>Never changed by the search (until <c>[search.knobs]</c> gives it a space).</summary>
    public bool Frozen { get; init; }

    /// <summary>Why a frozen knob is frozen (a seed, an evaluation setting, nothing to infer a scale from).</summary>
    public string? Reason { get; init; }

    /// <summary>One line for <c>status</c>: kind, range and scale, or why it is frozen.</summary>
    public string Describe()
    {
        if (Frozen)
        {
            return "frozen: " + (Reason ?? "no space to infer (give it one in [search.knobs])");
        }

        static string N(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        static string I(double v) => v.ToString("0", CultureInfo.InvariantCulture);
        return Kind switch
        {
            KnobKind.Boolean or KnobKind.Choice => "choice " + string.Join(" | ", Choices),
            KnobKind.Integer when PowerOfTwo => $"integer, powers of two {I(Low)}..{I(High)}",
            KnobKind.Integer => $"integer {I(Math.Ceiling(Low))}..{I(Math.Floor(High))}{(Log ? ", log scale" : "")}",
            _ when Complement => $"decay rate {N(Low)}..{N(High)}, searched as 1 - value{(Log ? " on a log scale" : "")}",
            _ => $"float {N(Low)}..{N(High)}{(Log ? ", log scale" : "")}",
        };
    }

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
            var choices = Choices.Select(Unquote).ToList();
            var index = choices.IndexOf(Unquote(literal));
            if (index < 0 && KnobScanner.TryParseNumber(literal, out var number, out _))
            {
                // Numeric choices match by value: `0f` is the choice 0, `15.0f` the choice 15.
                index = choices.FindIndex(c => KnobScanner.TryParseNumber(c, out var v, out _) && v == number);
            }

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

        if (Complement)
        {
            var (a, b) = (Transform(Low), Transform(High));
            var c = double.IsFinite(Transform(value)) ? Transform(value) : b;
            var t = (c - a) / (b - a);
            return double.IsFinite(t) ? Math.Clamp(t, 0, 1) : 0;
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
                if (Choices.Count == 0)
                {
                    return original;
                }

                var choice = Choices[(int)Math.Round(u * (Choices.Count - 1))];
                // A number chosen for a literal written as a float (`0f`, `0.0`, `1e-3`) keeps its style, so that a C#
                // `const float` still compiles (`15.0f`, not `15`).
                if (!KnobScanner.TryParseNumber(choice, out var chosen, out _) || !KnobScanner.TryParseNumber(original, out var was, out var integer))
                {
                    return choice;
                }

                return chosen == was ? original : integer ? choice : FormatFloat(chosen, original);
            case KnobKind.Integer when PowerOfTwo:
                var steps = Math.Round(Math.Log2(High / Low));
                return ((long)(Low * Math.Pow(2, Math.Round(u * steps)))).ToString(CultureInfo.InvariantCulture);
            case KnobKind.Integer:
                var (low, high) = Log ? (Low, High) : (Math.Ceiling(Low), Math.Floor(High));
                var v = Log ? Math.Exp(Math.Log(low) + (u * (Math.Log(high) - Math.Log(low)))) : low + (u * (high - low));
                return ((long)Math.Clamp(Math.Round(v), Math.Ceiling(Low), Math.Floor(High))).ToString(CultureInfo.InvariantCulture);
            case KnobKind.Float when Complement:
                var (a, b) = (Transform(Low), Transform(High));
                var rest = Log ? Math.Exp(-(a + (u * (b - a)))) : 1 - (a + (u * (b - a)));
                return FormatDecay(Math.Clamp(1 - rest, Low, High), rest, original);
            default:
                var f = Log ? Math.Exp(Math.Log(Low) + (u * (Math.Log(High) - Math.Log(Low)))) : Low + (u * (High - Low));
                return FormatFloat(f, original);
        }
    }

    private static string Unquote(string s) => s.Trim('"', '\'');

    /// <summary>The coordinate of a decay rate before scaling: -log(1 - value) on a log scale, else the value.</summary>
    private double Transform(double value) => Log ? -Math.Log(1 - value) : value;

    /// <summary>A decay rate with 1 - value to three significant digits (0.9877, not 0.99), in the original's style.</summary>
    private static string FormatDecay(double value, double rest, string original)
    {
        var suffix = original.Length > 0 && char.IsLetter(original[^1]) ? original[^1].ToString() : "";
        var decimals = Math.Clamp(2 - (int)Math.Floor(Math.Log10(Math.Max(rest, 1e-12))), 1, 12);
        return Math.Round(value, decimals).ToString("0.0###########", CultureInfo.InvariantCulture) + suffix;
    }

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
