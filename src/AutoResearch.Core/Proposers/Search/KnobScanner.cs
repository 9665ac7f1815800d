using System.Globalization;
using System.Text.RegularExpressions;

namespace AutoResearch.Core.Proposers.Search;

/// <summary>
/// Finds the tunable constants of a source file: UPPER_CASE <c>const</c> declarations in C#
/// (<c>const double LEARNING_RATE = 1e-3; // ...</c>) and top-level UPPER_CASE assignments in Python
/// (<c>LEARNING_RATE = 1e-3  # ...</c>, tuples of numbers too), and UPPER_CASE assignments in shell and .env
/// files (<c>LR=0.01</c>), and infers a space for each: positive floats on a
/// log scale a decade each way, integers (powers of two stay powers of two), booleans, and strings whose comment
/// lists <c>choices: a|b|c</c>.
/// </summary>
public static partial class KnobScanner
{
    /// <summary>
    /// The knobs in <paramref name="text"/>; the language is taken from <paramref name="file"/>'s extension. Constants
    /// with no space to infer are included frozen (see <see cref="Infer"/>).
    /// </summary>
    public static IReadOnlyList<Knob> Scan(string file, string text)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(text);
        var python = file.EndsWith(".py", StringComparison.Ordinal);
        var shell = file.EndsWith(".sh", StringComparison.Ordinal) || file.EndsWith(".env", StringComparison.Ordinal);
        var pattern = python ? PythonConstant() : shell ? ShellAssignment() : CSharpConstant();
        var knobs = new List<Knob>();
        foreach (Match m in pattern.Matches(text))
        {
            var name = m.Groups["name"].Value;
            var value = m.Groups["value"];
            var comment = m.Groups["comment"].Value;
            if (python && value.Value.StartsWith('('))
            {
                var index = 0;
                foreach (Match element in TupleElement().Matches(value.Value))
                {
                    var e = element.Groups["n"];
                    if (Infer(e.Value, comment, python) is { } space)
                    {
                        knobs.Add(new Knob(file, $"{name}[{index}]", value.Index + e.Index, e.Length, e.Value, space));
                    }

                    index++;
                }

                continue;
            }

            if (Infer(value.Value, comment, python) is { } inferred)
            {
                knobs.Add(new Knob(file, name, value.Index, value.Length, value.Value, inferred));
            }
        }

        return knobs;
    }

    /// <summary>
    /// The space a literal suggests. A constant with nothing to infer from (zero, a negative number, text without
    /// choices) comes back frozen, so that <c>[search.knobs]</c> can still give it a range or choices; null when the
    /// literal is not a number, a boolean or a string at all.
    /// </summary>
    internal static KnobSpace? Infer(string literal, string comment, bool python)
    {
        var choices = ChoicesComment().Match(comment);
        if (literal is "true" or "false" or "True" or "False")
        {
            return new KnobSpace { Kind = KnobKind.Boolean, Choices = python ? ["True", "False"] : ["true", "false"] };
        }

        if (literal.Length >= 2 && literal[0] is '"' or '\'' && literal[^1] == literal[0])
        {
            if (!choices.Success)
            {
                return new KnobSpace { Kind = KnobKind.Choice, Frozen = true };
            }

            var quote = literal[0];
            var options = choices.Groups["list"].Value.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return new KnobSpace { Kind = KnobKind.Choice, Choices = options.Select(o => $"{quote}{o}{quote}").ToList() };
        }

        if (!TryParseNumber(literal, out var value, out var isInteger))
        {
            return null;
        }

        if (value <= 0)
        {
            return new KnobSpace { Kind = isInteger ? KnobKind.Integer : KnobKind.Float, Low = value, High = value, Frozen = true };
        }

        if (isInteger)
        {
            var v = (long)value;
            if (v >= 2 && (v & (v - 1)) == 0)
            {
                return new KnobSpace { Kind = KnobKind.Integer, Low = Math.Max(1, v / 4), High = v * 4, Log = true, PowerOfTwo = true };
            }

            return new KnobSpace { Kind = KnobKind.Integer, Low = Math.Max(1, Math.Floor(v / 3.0)), High = Math.Max(v * 3, v + 2), Log = true };
        }

        // A fraction such as a beta or a dropout stays below 1.
        var high = value < 1 ? Math.Min(value * 10, 1 - ((1 - value) / 10)) : value * 10;
        return new KnobSpace { Kind = KnobKind.Float, Low = value / 10, High = high, Log = true };
    }

    /// <summary>Parses a numeric literal of either language (underscores, C# suffixes f/d/m/L).</summary>
    public static bool TryParseNumber(string literal, out double value, out bool isInteger)
    {
        var text = literal.Replace("_", "", StringComparison.Ordinal).TrimEnd('f', 'F', 'd', 'D', 'm', 'M', 'l', 'L', 'u', 'U');
        isInteger = !text.Contains('.', StringComparison.Ordinal) && !text.Contains('e', StringComparison.OrdinalIgnoreCase)
            && !literal.EndsWith('f') && !literal.EndsWith('d') && !literal.EndsWith('F') && !literal.EndsWith('D');
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    [GeneratedRegex(@"^[ \t]*(?:(?:public|private|internal|protected|static|readonly|new)\s+)*const\s+(?:double|float|int|long|bool|string|decimal)\s+(?<name>[A-Z][A-Z0-9_]*)\s*=\s*(?<value>""[^""\r\n]*""|[^;\r\n]+?)\s*;(?<comment>[^\r\n]*)", RegexOptions.Multiline)]
    private static partial Regex CSharpConstant();

    [GeneratedRegex(@"^(?<name>[A-Z][A-Z0-9_]*)[ \t]*(?::[^=\r\n]+)?=[ \t]*(?<value>\([^)\r\n]*\)|""[^""\r\n]*""|'[^'\r\n]*'|[^#\r\n]+?)[ \t]*(?:#(?<comment>[^\r\n]*))?$", RegexOptions.Multiline)]
    private static partial Regex PythonConstant();

    [GeneratedRegex(@"^(?:export[ \t]+)?(?<name>[A-Z][A-Z0-9_]*)=(?<value>""[^""\r\n]*""|'[^'\r\n]*'|[^\s#]+)[ \t]*(?:#(?<comment>[^\r\n]*))?$", RegexOptions.Multiline)]
    private static partial Regex ShellAssignment();

    [GeneratedRegex(@"(?<n>[-+]?[0-9][0-9_]*\.?[0-9_]*(?:[eE][-+]?[0-9]+)?)")]
    private static partial Regex TupleElement();

    [GeneratedRegex(@"choices:\s*(?<list>[^\s]+(?:\s*\|\s*[^\s|]+)*)")]
    private static partial Regex ChoicesComment();
}
