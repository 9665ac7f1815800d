using System.Globalization;
using System.Text.RegularExpressions;

namespace AutoResearch.Core.Proposers.Search;

/// <summary>
/// Finds the tunable constants of a source or config file, in the conventions researchers write them:
/// <list type="bullet">
/// <item>C#: <c>const</c> declarations (<c>const double LEARNING_RATE = 1e-3; // ...</c>);</item>
/// <item>Python: module-level assignments of any case (<c>learning_rate = 6e-4</c>, <c>n_layer: int = 12</c>, tuples
/// and lists of numbers), <c>@dataclass</c> fields with defaults, and argparse <c>add_argument(..., default=...)</c>;</item>
/// <item>shell and .env: <c>LR=3e-4</c>, <c>export LR=3e-4</c>;</item>
/// <item>TOML, YAML and JSON config values, named by their dotted path (<c>optimizer.lr</c>).</item>
/// </list>
/// Each literal gets a space inferred from its value and its name (<see cref="Infer"/>). Settings that are not research
/// (seeds, devices, logging and evaluation intervals, vocabulary sizes) are found but frozen, and so are booleans
/// outside UPPER_CASE constants (switches such as <c>compile</c> or <c>wandb_log</c>).
/// </summary>
public static partial class KnobScanner
{
    /// <summary>The file extensions the scanner reads.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".cs", ".py", ".sh", ".bash", ".env", ".toml", ".yaml", ".yml", ".json"];

    /// <summary>The conventions looked for, in words, for messages that say why nothing was found.</summary>
    public const string Conventions =
        "C# `const double LR = 1e-3;`, Python module-level `learning_rate = 6e-4` / `@dataclass` fields `n_layer: int = 12` / " +
        "argparse `add_argument('--lr', type=float, default=3e-4)`, shell `LR=3e-4` or `export LR=3e-4`, and numeric values in " +
        "TOML, YAML and JSON files, with non-zero values";

    /// <summary>Whether <paramref name="file"/>'s extension is one the scanner reads.</summary>
    public static bool Reads(string file) => Extensions.Contains(Path.GetExtension(file), StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The knobs in <paramref name="text"/>; the language is taken from <paramref name="file"/>'s extension (C# for any
    /// other). Constants with no space to infer are included frozen (see <see cref="Infer"/>). A name assigned twice at
    /// the top of a Python or shell file is the later assignment (the one that takes effect); otherwise the first.
    /// </summary>
    public static IReadOnlyList<Knob> Scan(string file, string text)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(text);
        var candidates = Path.GetExtension(file).ToLowerInvariant() switch
        {
            ".py" => ScanPython(text),
            ".sh" or ".bash" or ".env" => ScanRegex(text, ShellAssignment(), "shell", lastWins: true),
            ".toml" => ScanToml(text),
            ".yaml" or ".yml" => ScanYaml(text),
            ".json" => ScanJson(text),
            _ => ScanRegex(text, CSharpConstant(), "C# const", lastWins: false),
        };

        var chosen = new Dictionary<string, Candidate>(StringComparer.Ordinal);
        foreach (var c in candidates)
        {
            if (c.LastWins || !chosen.ContainsKey(c.Name))
            {
                chosen[c.Name] = c;
            }
        }

        var lines = new LineIndex(text);
        var knobs = new List<Knob>();
        foreach (var c in chosen.Values.OrderBy(c => c.Start))
        {
            if (Infer(c.Name, c.Literal, c.Comment, c.FloatHint) is { } space)
            {
                knobs.Add(new Knob(file, c.Name, c.Start, c.Literal.Length, c.Literal, space) { Line = lines.LineOf(c.Start), Convention = c.Convention });
            }
        }

        return knobs.Any(k => k.Convention == "Python assignment" && IsUpperCase(k.Name) && !k.Space.Frozen)
            ? knobs.Select(ShadowedByConstants).ToList()
            : knobs;
    }

    /// <summary>
    /// In a Python file whose knobs are UPPER_CASE constants (karpathy's train.py), the lowercase names are what the code
    /// derives from them (a dataclass's defaults that the constants override, loop state): found, but frozen.
    /// </summary>
    private static Knob ShadowedByConstants(Knob knob) => IsUpperCase(knob.Name) || knob.Space.Frozen
        ? knob
        : knob with { Space = knob.Space with { Frozen = true, Reason = "this file's knobs are its UPPER_CASE constants (searched with a `range`)" } };

    /// <summary>
    /// The space a literal suggests, from its value, its name and its comment. A constant with nothing to infer from (zero,
    /// a negative number, text without choices), a setting that is not research (<see cref="NotResearch"/>) and a
    /// boolean whose name is not UPPER_CASE come back frozen, so that <c>[search.knobs]</c> can still give them a range
    /// or choices; null when the literal is not a number, a boolean or a string at all.
    /// </summary>
    /// <param name="name">The knob's name (an element's <c>[i]</c> and a path's prefix are ignored).</param>
    /// <param name="literal">The literal as written.</param>
    /// <param name="comment">The rest of the line, where <c>choices: a|b|c</c> may list a string's values.</param>
    /// <param name="floatHint">The code says the value is a float (argparse <c>type=float</c>) though it reads as an integer.</param>
    internal static KnobSpace? Infer(string name, string literal, string comment, bool floatHint = false)
    {
        var words = Words(name);
        var choices = ChoicesComment().Match(comment);
        KnobSpace? space;
        if (literal is "true" or "false" or "True" or "False")
        {
            var upper = literal[0] == 'T' || literal[0] == 'F';
            space = new KnobSpace { Kind = KnobKind.Boolean, Choices = upper ? ["True", "False"] : ["true", "false"] };
            if (!IsUpperCase(name))
            {
                space = space with
                {
                    Frozen = true,
                    Reason = "a lowercase switch (searched with `choices = [true, false]`)",
                };
            }
        }
        else if (literal.Length >= 2 && literal[0] is '"' or '\'' && literal.IndexOf(literal[0], 1) == literal.Length - 1)
        {
            if (!choices.Success)
            {
                space = new KnobSpace { Kind = KnobKind.Choice, Frozen = true, Reason = "text without `choices: a|b`" };
            }
            else
            {
                var quote = literal[0];
                var options = choices.Groups["list"].Value.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                space = new KnobSpace { Kind = KnobKind.Choice, Choices = options.Select(o => $"{quote}{o}{quote}").ToList() };
            }
        }
        else if (!TryParseNumber(literal, out var value, out var isInteger))
        {
            return null;
        }
        else
        {
            space = InferNumber(words, value, isInteger && !floatHint);
        }

        if (!space.Frozen && NotResearch(words) is { } what)
        {
            space = space with { Frozen = true, Reason = $"not research: {what}" };
        }

        return space;
    }

    private static KnobSpace InferNumber(IReadOnlyList<string> words, double value, bool isInteger)
    {
        if (value <= 0)
        {
            return new KnobSpace
            {
                Kind = isInteger ? KnobKind.Integer : KnobKind.Float,
                Low = value,
                High = value,
                Frozen = true,
                Reason = "zero or negative, no scale to infer (searched with a `range`)",
            };
        }

        if (isInteger)
        {
            var v = (long)value;
            if (v >= 2 && (v & (v - 1)) == 0 && words.Any(s_sizeWords.Contains))
            {
                // A size the code keeps a power of two (batch, width, block, head count) stays one.
                return new KnobSpace { Kind = KnobKind.Integer, Low = Math.Max(1, v / 4), High = v * 4, Log = true, PowerOfTwo = true };
            }

            if (words.Any(s_countWords.Contains))
            {
                // Layers, heads, blocks: a small range of whole counts around the value, never below 1.
                return new KnobSpace { Kind = KnobKind.Integer, Low = Math.Max(1, Math.Ceiling(v / 2.0)), High = Math.Max(2 * v, v + 2) };
            }

            return new KnobSpace { Kind = KnobKind.Integer, Low = Math.Max(1, Math.Floor(v / 3.0)), High = Math.Max(v * 3, v + 2), Log = true };
        }

        if (value is > 0.5 and < 1 && words.Any(s_decayWords.Contains))
        {
            // A decay rate (Adam's betas, momentum, an EMA): 1 - value on a log scale, a decade each way, never below 0.5.
            var rest = 1 - value;
            return new KnobSpace { Kind = KnobKind.Float, Low = 1 - Math.Min(0.5, rest * 10), High = 1 - (rest / 10), Log = true, Complement = true };
        }

        // A fraction such as a dropout stays below 1.
        var high = value < 1 ? Math.Min(value * 10, 1 - ((1 - value) / 10)) : value * 10;
        return new KnobSpace { Kind = KnobKind.Float, Low = value / 10, High = high, Log = true };
    }

    /// <summary>What a setting is when its name says it is not research (a seed, a device, logging or evaluation), else null.</summary>
    private static string? NotResearch(IReadOnlyList<string> words) =>
        words.FirstOrDefault(w => s_notResearchWords.ContainsKey(w) && !(s_deviceWords.Contains(w) && words.Any(s_sizeWords.Contains))) is { } word
            ? s_notResearchWords[word]
            : null;

    /// <summary>Words that mark a device setting, unless the name is a size per device (<c>device_batch_size</c>).</summary>
    private static readonly HashSet<string> s_deviceWords = new(StringComparer.Ordinal) { "device", "devices", "gpu", "gpus", "cuda" };

    /// <summary>Whether <paramref name="name"/> names a random seed, which the search never tunes.</summary>
    public static bool IsSeed(string name) => Words(name).Any(w => w is "seed" or "seeds");

    /// <summary>Parses a numeric literal of any of the languages (underscores, C# suffixes f/d/m/L, a sign).</summary>
    public static bool TryParseNumber(string literal, out double value, out bool isInteger)
    {
        ArgumentNullException.ThrowIfNull(literal);
        var text = literal.Replace("_", "", StringComparison.Ordinal).TrimEnd('f', 'F', 'd', 'D', 'm', 'M', 'l', 'L', 'u', 'U');
        isInteger = !text.Contains('.', StringComparison.Ordinal) && !text.Contains('e', StringComparison.OrdinalIgnoreCase)
            && !literal.EndsWith('f') && !literal.EndsWith('d') && !literal.EndsWith('F') && !literal.EndsWith('D');
        value = 0;
        return text.Length > 0 && (char.IsAsciiDigit(text[^1]) || text[^1] == '.')
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>The lowercase words of a name: <c>n_layer</c>, <c>N_LAYER</c> and <c>nLayer</c> all give n, layer;
    /// an element's <c>[i]</c> is dropped and a dotted path gives the words of every part.</summary>
    internal static IReadOnlyList<string> Words(string name)
    {
        var bare = name.Split('[')[0];
        return WordPattern().Matches(bare).Select(m => m.Value.ToLowerInvariant()).ToList();
    }

    private static bool IsUpperCase(string name)
    {
        var bare = name.Split('[')[0].Split('.')[^1];
        return bare.Any(char.IsAsciiLetterUpper) && !bare.Any(char.IsAsciiLetterLower);
    }

    private static readonly HashSet<string> s_sizeWords = new(StringComparer.Ordinal)
    {
        "size", "sizes", "dim", "dims", "batch", "bs", "embd", "emb", "embed", "embedding", "hidden", "width", "block", "head", "heads",
        "ctx", "context", "seq", "len", "length", "channels", "units", "model", "tokens", "chunk",
    };

    private static readonly HashSet<string> s_countWords = new(StringComparer.Ordinal)
    {
        "layer", "layers", "head", "heads", "depth", "block", "blocks", "stage", "stages", "expert", "experts",
    };

    private static readonly HashSet<string> s_decayWords = new(StringComparer.Ordinal)
    {
        "beta", "betas", "beta1", "beta2", "momentum", "decay", "ema", "gamma", "rho", "discount",
    };

    private static readonly Dictionary<string, string> s_notResearchWords = new(StringComparer.Ordinal)
    {
        ["seed"] = "a random seed (vary it with {seed} / AUTORESEARCH_SEED)",
        ["seeds"] = "a random seed (vary it with {seed} / AUTORESEARCH_SEED)",
        ["device"] = "a device",
        ["devices"] = "a device",
        ["dtype"] = "a number format",
        ["gpu"] = "a device",
        ["gpus"] = "a device",
        ["cuda"] = "a device",
        ["workers"] = "a process setting",
        ["threads"] = "a process setting",
        ["world"] = "a process setting",
        ["port"] = "a process setting",
        ["eval"] = "the evaluation (it changes the measurement)",
        ["interval"] = "a logging or evaluation interval",
        ["every"] = "a logging or evaluation interval",
        ["verbose"] = "logging",
        ["debug"] = "logging",
        ["wandb"] = "logging",
        ["best"] = "bookkeeping",
        ["save"] = "checkpointing",
        ["checkpoint"] = "checkpointing",
        ["ckpt"] = "checkpointing",
        ["vocab"] = "the vocabulary size (fixed by the data)",
        ["flops"] = "a hardware constant",
    };

    /// <summary>One literal a convention found, before its space is inferred.</summary>
    private sealed record Candidate(string Name, int Start, string Literal, string Comment, string Convention, bool LastWins = false, bool FloatHint = false);

    /// <summary>Maps offsets to 1-based line numbers.</summary>
    private sealed class LineIndex(string text)
    {
        private readonly int[] _starts = [0, .. text.Select((c, i) => (c, i)).Where(p => p.c == '\n').Select(p => p.i + 1)];

        public int LineOf(int offset)
        {
            var index = Array.BinarySearch(_starts, offset);
            return (index >= 0 ? index : ~index - 1) + 1;
        }
    }

    private static IEnumerable<Candidate> ScanRegex(string text, Regex pattern, string convention, bool lastWins)
    {
        foreach (Match m in pattern.Matches(text))
        {
            var value = m.Groups["value"];
            yield return new Candidate(m.Groups["name"].Value, value.Index, value.Value, m.Groups["comment"].Value, convention, lastWins);
        }
    }

    /// <summary>A tuple or list of numbers becomes one candidate per element, <c>NAME[i]</c>; anything else one candidate.</summary>
    private static IEnumerable<Candidate> Elements(string name, Group value, string comment, string convention, bool lastWins)
    {
        if (value.Value.Length > 0 && value.Value[0] is '(' or '[')
        {
            var index = 0;
            foreach (Match element in TupleElement().Matches(value.Value))
            {
                var e = element.Groups["n"];
                yield return new Candidate($"{name}[{index++}]", value.Index + e.Index, e.Value, comment, convention, lastWins);
            }

            yield break;
        }

        yield return new Candidate(name, value.Index, value.Value, comment, convention, lastWins);
    }

    [GeneratedRegex(@"^[ \t]*(?:(?:public|private|internal|protected|static|readonly|new)\s+)*const\s+(?:double|float|int|long|bool|string|decimal)\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?<value>""[^""\r\n]*""|[^;\r\n]+?)\s*;(?<comment>[^\r\n]*)", RegexOptions.Multiline)]
    private static partial Regex CSharpConstant();

    [GeneratedRegex(@"^(?:export[ \t]+)?(?<name>[A-Za-z_][A-Za-z0-9_]*)=(?<value>""[^""\r\n]*""|'[^'\r\n]*'|[^\s#;]+)[ \t]*(?:#(?<comment>[^\r\n]*))?$", RegexOptions.Multiline)]
    private static partial Regex ShellAssignment();

    [GeneratedRegex(@"(?<n>[-+]?(?:[0-9][0-9_]*\.?[0-9_]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)")]
    private static partial Regex TupleElement();

    [GeneratedRegex(@"choices:\s*(?<list>[^\s]+(?:\s*\|\s*[^\s|]+)*)")]
    private static partial Regex ChoicesComment();

    [GeneratedRegex(@"[A-Z]?[a-z]+[0-9]*|[A-Z]+[0-9]*(?![a-z])|[0-9]+")]
    private static partial Regex WordPattern();
}
