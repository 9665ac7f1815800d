using System.Text;

namespace AutoResearch.Core.Proposers.Search.Edits;

/// <summary>The little parsing the code edits need: calls with balanced parentheses, their arguments, lines.</summary>
internal static class SourceText
{
    /// <summary>A call in the text: where its name starts, and its parentheses.</summary>
    internal readonly record struct Call(int Start, int Open, int Close)
    {
        /// <summary>The text between the parentheses.</summary>
        public string Inner(string text) => text[(Open + 1)..Close];

        /// <summary>Index just past the closing parenthesis.</summary>
        public int End => Close + 1;
    }

    /// <summary>
    /// Every call of <paramref name="name"/> (the text right before its parenthesis, e.g. <c>.Gelu</c> or
    /// <c>F.layer_norm</c>), not preceded by a letter, digit or underscore, whose parentheses balance; last first, so
    /// that rewriting them in that order keeps the earlier offsets valid.
    /// </summary>
    public static List<Call> Calls(string text, string name)
    {
        var calls = new List<Call>();
        var pattern = name + "(";
        for (var at = text.IndexOf(pattern, StringComparison.Ordinal); at >= 0; at = text.IndexOf(pattern, at + 1, StringComparison.Ordinal))
        {
            if (at > 0 && char.IsLetterOrDigit(name[0]) && (char.IsLetterOrDigit(text[at - 1]) || text[at - 1] == '_'))
            {
                continue;
            }

            var open = at + name.Length;
            if (Closing(text, open) is { } close)
            {
                calls.Add(new Call(at, open, close));
            }
        }

        calls.Reverse();
        return calls;
    }

    /// <summary>The parenthesis that closes the one at <paramref name="open"/>, skipping string literals; null if none.</summary>
    public static int? Closing(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '"' or '\'')
            {
                var end = text.IndexOf(c, i + 1);
                while (end > 0 && text[end - 1] == '\\')
                {
                    end = text.IndexOf(c, end + 1);
                }

                if (end < 0)
                {
                    return null;
                }

                i = end;
            }
            else if (c is '(' or '[' or '{')
            {
                depth++;
            }
            else if (c is ')' or ']' or '}')
            {
                depth--;
                if (depth == 0)
                {
                    return c == ')' ? i : null;
                }
            }
        }

        return null;
    }

    /// <summary>The top-level arguments of a call's inner text, trimmed.</summary>
    public static List<string> Arguments(string inner)
    {
        var result = new List<string>();
        var depth = 0;
        var current = new StringBuilder();
        foreach (var c in inner)
        {
            depth += c is '(' or '[' or '{' ? 1 : c is ')' or ']' or '}' ? -1 : 0;
            if (c == ',' && depth == 0)
            {
                result.Add(current.ToString().Trim());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        if (current.ToString().Trim() is { Length: > 0 } last)
        {
            result.Add(last);
        }

        return result;
    }

    /// <summary>The start of the line that holds <paramref name="index"/>.</summary>
    public static int LineStart(string text, int index) => index == 0 ? 0 : text.LastIndexOf('\n', index - 1) + 1;

    /// <summary>The end of the line that holds <paramref name="index"/> (its newline, or the end of the text).</summary>
    public static int LineEnd(string text, int index)
    {
        var end = text.IndexOf('\n', index);
        return end < 0 ? text.Length : end;
    }

    /// <summary>The leading spaces and tabs of the line that holds <paramref name="index"/>.</summary>
    public static string Indentation(string text, int index)
    {
        var start = LineStart(text, index);
        var i = start;
        while (i < text.Length && text[i] is ' ' or '\t')
        {
            i++;
        }

        return text[start..i];
    }

    /// <summary>The newline the file uses.</summary>
    public static string Newline(string text) => text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";

    /// <summary>Whether <paramref name="expression"/> is a plain (possibly dotted) name, safe to repeat.</summary>
    public static bool IsName(string expression) =>
        expression.Length > 0 && (char.IsLetter(expression[0]) || expression[0] == '_') && expression.All(c => char.IsLetterOrDigit(c) || c is '_' or '.');

    /// <summary>
    /// Inserts <paramref name="block"/> (lines without indentation) after the last top-level import of a Python file, or
    /// at its top when it has none.
    /// </summary>
    public static string AfterPythonImports(string text, string block)
    {
        var newline = Newline(text);
        block = block.Replace("\n", newline, StringComparison.Ordinal);
        var at = -1;
        for (var start = 0; start < text.Length; start = LineEnd(text, start) + 1)
        {
            if (text.AsSpan(start).StartsWith("import ", StringComparison.Ordinal) || text.AsSpan(start).StartsWith("from ", StringComparison.Ordinal))
            {
                at = LineEnd(text, start);
            }
        }

        return at < 0
            ? block + newline + newline + newline + text
            : text.Insert(at, newline + newline + newline + block);
    }
}
