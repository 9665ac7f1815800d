using System.Text.RegularExpressions;

namespace AutoResearch.Core.Proposers.Search;

/// <summary>Python: module-level assignments, <c>@dataclass</c> fields and argparse defaults.</summary>
public static partial class KnobScanner
{
    private static IEnumerable<Candidate> ScanPython(string text)
    {
        var strings = TripleQuoted(text);
        foreach (Match m in PythonAssignment().Matches(text))
        {
            if (strings.Any(span => m.Index >= span.Start && m.Index < span.End))
            {
                // `lr = 0.1` at the start of a line of a docstring is text, not an assignment.
                continue;
            }

            foreach (var c in Elements(m.Groups["name"].Value, m.Groups["value"], m.Groups["comment"].Value, "Python assignment", lastWins: true))
            {
                yield return c;
            }
        }

        foreach (var c in DataclassFields(text))
        {
            yield return c;
        }

        foreach (var c in ArgparseDefaults(text))
        {
            yield return c;
        }
    }

    /// <summary>
    /// Where the triple-quoted strings of <paramref name="text"/> are (docstrings, usage text), read left to right: a
    /// <c>"""</c> or <c>'''</c> outside a string or a comment opens one, the same three quotes close it.
    /// </summary>
    private static List<(int Start, int End)> TripleQuoted(string text)
    {
        var spans = new List<(int Start, int End)>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '#')
            {
                var end = text.IndexOf('\n', i);
                i = end < 0 ? text.Length : end;
            }
            else if (c is '"' or '\'' && i + 2 < text.Length && text[i + 1] == c && text[i + 2] == c)
            {
                var close = text.IndexOf(new string(c, 3), i + 3, StringComparison.Ordinal);
                var end = close < 0 ? text.Length : close + 3;
                spans.Add((i, end));
                i = end;
            }
            else if (c is '"' or '\'')
            {
                // A one-line string: skip to its closing quote (or the line's end), escapes honoured.
                var j = i + 1;
                while (j < text.Length && text[j] != c && text[j] != '\n')
                {
                    j += text[j] == '\\' ? 2 : 1;
                }

                i = j + 1;
            }
            else
            {
                i++;
            }
        }

        return spans;
    }

    /// <summary>The annotated fields with a default at the top level of each <c>@dataclass</c> body.</summary>
    private static IEnumerable<Candidate> DataclassFields(string text)
    {
        foreach (Match decorator in DataclassDecorator().Matches(text))
        {
            var indent = decorator.Groups["indent"].Value.Length;
            var header = ClassHeader().Match(text, decorator.Index + decorator.Length);
            if (!header.Success || header.Groups["indent"].Value.Length != indent)
            {
                continue;
            }

            // The body: the lines after the header indented deeper than the class, its fields at the first line's indentation.
            var position = header.Index + header.Length;
            int? fieldIndent = null;
            foreach (Match line in Line().Matches(text[position..]))
            {
                var content = line.Value.TrimEnd('\r');
                var trimmed = content.TrimStart();
                if (trimmed.Length == 0 || trimmed[0] == '#')
                {
                    continue;
                }

                var depth = content.Length - trimmed.Length;
                if (depth <= indent)
                {
                    break;
                }

                fieldIndent ??= depth;
                if (depth != fieldIndent)
                {
                    continue;
                }

                var field = DataclassField().Match(content);
                if (field.Success)
                {
                    var value = field.Groups["value"];
                    var start = position + line.Index + value.Index;
                    yield return new Candidate(field.Groups["name"].Value, start, value.Value, field.Groups["comment"].Value, "dataclass field");
                }
            }
        }
    }

    /// <summary>The <c>default=</c> literal of each <c>add_argument(...)</c> call, named by its destination
    /// (<c>--learning-rate</c> is <c>learning_rate</c>, as argparse names it).</summary>
    private static IEnumerable<Candidate> ArgparseDefaults(string text)
    {
        foreach (Match call in AddArgumentCall().Matches(text))
        {
            var open = call.Index + call.Length;
            var close = ClosingParenthesis(text, open);
            if (close < 0)
            {
                continue;
            }

            var arguments = text[open..close];
            var options = LeadingStrings().Match(arguments);
            if (!options.Success)
            {
                continue;
            }

            var flags = options.Groups["s"].Captures.Select(c => c.Value[1..^1]).ToList();
            var dest = KeywordString().Match(arguments) is { Success: true } d ? d.Groups["v"].Value
                : (flags.FirstOrDefault(f => f.StartsWith("--", StringComparison.Ordinal)) ?? flags[0]).TrimStart('-').Replace('-', '_');
            var value = DefaultKeyword().Match(arguments);
            if (!value.Success || dest.Length == 0)
            {
                continue;
            }

            var literal = value.Groups["value"];
            var choices = ChoicesKeyword().Match(arguments);
            var comment = choices.Success
                ? "choices: " + string.Join('|', StringElement().Matches(choices.Groups["list"].Value).Select(s => s.Value[1..^1]))
                : "";
            var isFloat = TypeFloat().IsMatch(arguments);
            yield return new Candidate(dest, open + literal.Index, literal.Value, comment, "argparse default", FloatHint: isFloat);
        }
    }

    /// <summary>The offset of the parenthesis that closes the one before <paramref name="start"/>, skipping strings; -1 if none.</summary>
    private static int ClosingParenthesis(string text, int start)
    {
        var depth = 1;
        for (var i = start; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '"' or '\'':
                    var quote = text[i];
                    for (i++; i < text.Length && text[i] != quote; i++)
                    {
                        if (text[i] == '\\')
                        {
                            i++;
                        }
                    }

                    break;
                case '(' or '[' or '{':
                    depth++;
                    break;
                case ')' or ']' or '}':
                    if (--depth == 0)
                    {
                        return i;
                    }

                    break;
            }
        }

        return -1;
    }

    [GeneratedRegex(@"^(?<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[^=\r\n]+)?=(?!=)[ \t]*(?<value>\([^)\r\n]*\)|\[[^\]\r\n]*\]|""[^""\r\n]*""|'[^'\r\n]*'|[^#\r\n]+?)[ \t]*(?:#(?<comment>[^\r\n]*))?\r?$", RegexOptions.Multiline)]
    private static partial Regex PythonAssignment();

    [GeneratedRegex(@"^(?<indent>[ \t]*)@(?:dataclasses\.)?dataclass\b[^\r\n]*\r?$", RegexOptions.Multiline)]
    private static partial Regex DataclassDecorator();

    [GeneratedRegex(@"\G(?:\r?\n[ \t]*@[^\r\n]*)*\r?\n(?<indent>[ \t]*)class\s+\w+[^\r\n]*:[^\r\n]*")]
    private static partial Regex ClassHeader();

    [GeneratedRegex(@"(?<=\n)[^\n]*")]
    private static partial Regex Line();

    [GeneratedRegex(@"^[ \t]+(?<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*:[^=\r\n]+=[ \t]*(?<value>""[^""\r\n]*""|'[^'\r\n]*'|[-+]?[0-9][0-9_.eE+-]*|\.[0-9][0-9_eE+-]*|True|False)[ \t]*(?:#(?<comment>.*))?$")]
    private static partial Regex DataclassField();

    [GeneratedRegex(@"\.add_argument\(")]
    private static partial Regex AddArgumentCall();

    [GeneratedRegex(@"^\s*(?:(?<s>'[^'\r\n]*'|""[^""\r\n]*"")\s*,?\s*)+")]
    private static partial Regex LeadingStrings();

    [GeneratedRegex(@"\bdest\s*=\s*['""](?<v>\w+)['""]")]
    private static partial Regex KeywordString();

    [GeneratedRegex(@"\bdefault\s*=\s*(?<value>'[^'\r\n]*'|""[^""\r\n]*""|[-+]?(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?(?![\w.])|True|False)")]
    private static partial Regex DefaultKeyword();

    [GeneratedRegex(@"\bchoices\s*=\s*[\[(](?<list>[^\])]*)[\])]")]
    private static partial Regex ChoicesKeyword();

    [GeneratedRegex(@"'[^']*'|""[^""]*""")]
    private static partial Regex StringElement();

    [GeneratedRegex(@"\btype\s*=\s*float\b")]
    private static partial Regex TypeFloat();
}
