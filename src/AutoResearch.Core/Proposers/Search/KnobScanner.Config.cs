using System.Text.RegularExpressions;

namespace AutoResearch.Core.Proposers.Search;

/// <summary>Config files: TOML, YAML and JSON values, named by their dotted path.</summary>
public static partial class KnobScanner
{
    /// <summary><c>key = value</c> lines, under the latest <c>[table]</c> header; arrays of numbers on one line by element.</summary>
    private static IEnumerable<Candidate> ScanToml(string text)
    {
        var table = "";
        foreach (Match line in Line().Matches("\n" + text))
        {
            var header = TomlHeader().Match(line.Value);
            if (header.Success)
            {
                table = Unquote(header.Groups["name"].Value.Trim());
                continue;
            }

            var pair = TomlPair().Match(line.Value);
            if (!pair.Success)
            {
                continue;
            }

            var key = string.Join('.', pair.Groups["key"].Value.Replace("\"", "", StringComparison.Ordinal).Replace("'", "", StringComparison.Ordinal)
                .Split('.').Select(k => k.Trim()));
            var name = table.Length == 0 ? key : $"{table}.{key}";
            // The line's offset in text: the pattern ran over "\n" + text.
            var value = pair.Groups["value"];
            foreach (var c in Elements(name, value, pair.Groups["comment"].Value, "TOML", lastWins: false))
            {
                yield return c with { Start = c.Start + line.Index - 1 };
            }
        }
    }

    /// <summary><c>key: value</c> lines of block mappings, nested by indentation; flow sequences of numbers by element.
    /// List items and multi-document streams beyond the first are not read.</summary>
    private static IEnumerable<Candidate> ScanYaml(string text)
    {
        var parents = new List<(int Indent, string Key)>();
        foreach (Match line in Line().Matches("\n" + text))
        {
            var trimmed = line.Value.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] == '#')
            {
                continue;
            }

            if (trimmed.StartsWith("---", StringComparison.Ordinal) && line.Value.Length - trimmed.Length == 0 && line.Index > 1)
            {
                yield break;
            }

            var pair = YamlPair().Match(line.Value);
            if (!pair.Success)
            {
                continue;
            }

            var indent = pair.Groups["indent"].Value.Length;
            parents.RemoveAll(p => p.Indent >= indent);
            var key = Unquote(pair.Groups["key"].Value);
            var value = pair.Groups["value"];
            if (value.Length == 0)
            {
                parents.Add((indent, key));
                continue;
            }

            var name = string.Join('.', parents.Select(p => p.Key).Append(key));
            foreach (var c in Elements(name, value, pair.Groups["comment"].Value, "YAML", lastWins: false))
            {
                yield return c with { Start = c.Start + line.Index - 1 };
            }
        }
    }

    /// <summary>Every number and boolean of the document, named by its path (<c>optim.betas[0]</c>); nothing when the
    /// text is not JSON.</summary>
    private static IEnumerable<Candidate> ScanJson(string text)
    {
        var found = new List<Candidate>();
        var reader = new JsonWalker(text, found);
        return reader.TryWalk() ? found : [];
    }

    private static string Unquote(string s) => s.Length >= 2 && s[0] is '"' or '\'' && s[^1] == s[0] ? s[1..^1] : s;

    /// <summary>A minimal JSON reader that keeps each scalar's offset, so its literal can be edited in place.</summary>
    private sealed class JsonWalker(string text, List<Candidate> found)
    {
        private int _i;

        public bool TryWalk()
        {
            try
            {
                Value("");
                Space();
                return _i == text.Length;
            }
            catch (FormatException)
            {
                // Not JSON (or JSON with comments): a file the scanner cannot read has no knobs.
                return false;
            }
        }

        private void Value(string path)
        {
            Space();
            if (_i >= text.Length)
            {
                throw new FormatException();
            }

            switch (text[_i])
            {
                case '{':
                    _i++;
                    Space();
                    if (Peek('}'))
                    {
                        return;
                    }

                    do
                    {
                        Space();
                        var key = String();
                        Space();
                        Expect(':');
                        Value(path.Length == 0 ? key : $"{path}.{key}");
                        Space();
                    }
                    while (Peek(','));
                    Expect('}');
                    return;
                case '[':
                    _i++;
                    Space();
                    if (Peek(']'))
                    {
                        return;
                    }

                    var index = 0;
                    do
                    {
                        Value($"{path}[{index++}]");
                        Space();
                    }
                    while (Peek(','));
                    Expect(']');
                    return;
                case '"':
                    var start = _i;
                    String();
                    found.Add(new Candidate(path, start, text[start.._i], "", "JSON"));
                    return;
                default:
                    var begin = _i;
                    while (_i < text.Length && (char.IsAsciiLetterOrDigit(text[_i]) || text[_i] is '-' or '+' or '.'))
                    {
                        _i++;
                    }

                    var literal = text[begin.._i];
                    if (literal.Length == 0)
                    {
                        throw new FormatException();
                    }

                    if (literal != "null")
                    {
                        found.Add(new Candidate(path, begin, literal, "", "JSON"));
                    }

                    return;
            }
        }

        private string String()
        {
            Expect('"');
            var start = _i;
            while (_i < text.Length && text[_i] != '"')
            {
                _i += text[_i] == '\\' ? 2 : 1;
            }

            var value = text[start..Math.Min(_i, text.Length)];
            Expect('"');
            return value;
        }

        private bool Peek(char c)
        {
            if (_i < text.Length && text[_i] == c)
            {
                _i++;
                return true;
            }

            return false;
        }

        private void Expect(char c)
        {
            if (!Peek(c))
            {
                throw new FormatException();
            }
        }

        private void Space()
        {
            while (_i < text.Length && char.IsWhiteSpace(text[_i]))
            {
                _i++;
            }
        }
    }

    [GeneratedRegex(@"^[ \t]*\[\[?(?<name>[^\]\r\n]+)\]\]?[ \t]*(?:#.*)?\r?$")]
    private static partial Regex TomlHeader();

    [GeneratedRegex(@"^[ \t]*(?<key>[A-Za-z0-9_\-.""' ]+?)[ \t]*=[ \t]*(?<value>\[[^\]\r\n]*\]|""[^""\r\n]*""|'[^'\r\n]*'|[^#\s\[{]+)[ \t]*(?:#(?<comment>[^\r\n]*))?\r?$")]
    private static partial Regex TomlPair();

    [GeneratedRegex(@"^(?<indent>[ \t]*)(?<key>[A-Za-z0-9_\-.]+|""[^""\r\n]+""|'[^'\r\n]+')[ \t]*:(?:[ \t]+(?<value>\[[^\]\r\n]*\]|""[^""\r\n]*""|'[^'\r\n]*'|[^#\s\[{][^#\r\n]*?))?[ \t]*(?:#(?<comment>[^\r\n]*))?\r?$")]
    private static partial Regex YamlPair();
}
