using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;

namespace AutoResearch.Core.Proposers.Search;

/// <summary>
/// The <c>[search]</c> section: <c>include</c> / <c>exclude</c> (knob names, <c>*</c> wildcards) and
/// <c>[search.knobs]</c> entries that override or freeze a knob's space:
/// <c>LEARNING_RATE = { range = [1e-4, 1e-1], log = true }</c>, <c>N_LAYER = { range = [1, 8], int = true }</c>,
/// <c>ACTIVATION = { choices = ["gelu", "relu"] }</c>, <c>SEED = { frozen = true }</c>; and <c>edits</c>: the code
/// edits of <see cref="Edits.CodeEdits"/> the search may propose (true, the default: all of them; false: none; or a list
/// of their names).
/// </summary>
public sealed class SearchSettings
{
    private readonly List<Regex> _include = [];
    private readonly List<Regex> _exclude = [];
    private readonly Dictionary<string, IDictionary<string, object>> _overrides = new(StringComparer.Ordinal);
    private readonly bool _edits = true;
    private readonly HashSet<string>? _editNames;

    /// <summary>Reads the section; <paramref name="section"/> is null when the spec has none.</summary>
    /// <exception cref="SpecException">An entry has the wrong shape; every problem is listed.</exception>
    public SearchSettings(IReadOnlyDictionary<string, object>? section, string source)
    {
        var problems = new List<string>();
        foreach (var (key, value) in section ?? new Dictionary<string, object>())
        {
            switch (key)
            {
                case "include" or "exclude" when value is IEnumerable && value is not string:
                    var target = key == "include" ? _include : _exclude;
                    target.AddRange(((IEnumerable)value).Cast<object>().Select(o => Wildcard(o?.ToString() ?? "")));
                    break;
                case "edits" when value is bool on:
                    _edits = on;
                    break;
                case "edits" when value is IEnumerable names && value is not string:
                    _editNames = names.Cast<object>().Select(o => o?.ToString() ?? "").ToHashSet(StringComparer.Ordinal);
                    foreach (var name in _editNames.Where(n => Search.Edits.CodeEdits.Find(n) is null))
                    {
                        problems.Add($"[search] edits: no code edit is called \"{name}\" (known: {string.Join(", ", Search.Edits.CodeEdits.All.Select(e => e.Name))})");
                    }

                    break;
                case "knobs" when value is IDictionary<string, object> knobs:
                    foreach (var (name, entry) in knobs)
                    {
                        if (entry is IDictionary<string, object> table)
                        {
                            _overrides[name] = table;
                        }
                        else
                        {
                            problems.Add($"[search.knobs] {name} must be a table, e.g. {{ range = [1e-4, 1e-2], log = true }}");
                        }
                    }

                    break;
                default:
                    problems.Add($"[search] {key} is not understood (known: include, exclude, knobs, edits)");
                    break;
            }
        }

        if (problems.Count > 0)
        {
            throw new SpecException(source, problems);
        }
    }

    /// <summary>Whether the search may propose the code edit called <paramref name="name"/> (<c>edits = false</c> allows none).</summary>
    public bool AllowsEdit(string name) => _edits && (_editNames?.Contains(name) ?? true);

    /// <summary>Applies include/exclude and overrides; frozen knobs (by override, or with no space to infer and no
    /// override giving one) are dropped. An override is found by the knob's name or, for a value nested in a config
    /// file, by the last part of its path (<c>lr</c> for <c>optimizer.lr</c>).</summary>
    /// <param name="knobs">Every knob found in the editable files, frozen ones included.</param>
    /// <param name="source">The spec, for messages.</param>
    /// <exception cref="SpecException">An override is malformed, tries to search a seed, or names no knob that was
    /// found (the message lists the knobs that were); every problem is listed.</exception>
    public IReadOnlyList<Knob> Apply(IEnumerable<Knob> knobs, string source)
    {
        var problems = new List<string>();
        var result = new List<Knob>();
        var all = knobs.ToList();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var knob in all)
        {
            var names = Names(knob);
            if ((_include.Count > 0 && !_include.Any(r => names.Any(r.IsMatch)))
                || _exclude.Any(r => names.Any(r.IsMatch)))
            {
                continue;
            }

            var key = names.FirstOrDefault(_overrides.ContainsKey);
            var space = knob.Space;
            if (key is not null)
            {
                used.Add(key);
                space = Override(knob, _overrides[key], problems);
            }

            if (!space.Frozen)
            {
                result.Add(knob with { Space = space });
            }
        }

        foreach (var name in _overrides.Keys.Where(k => !used.Contains(k) && !all.Any(knob => Names(knob).Contains(k))))
        {
            problems.Add($"[search.knobs] {name} matches no knob of the editable files; found: {Listing(all)}");
        }

        if (problems.Count > 0)
        {
            throw new SpecException(source, problems);
        }

        return result;
    }

    /// <summary>The names a knob answers to: its own, without an element's index, and the last part of a dotted path.</summary>
    private static string[] Names(Knob knob)
    {
        var bare = knob.Name.Split('[')[0];
        return [knob.Name, bare, knob.Name[(knob.Name.LastIndexOf('.') + 1)..], bare[(bare.LastIndexOf('.') + 1)..]];
    }

    private static string Listing(List<Knob> knobs) =>
        knobs.Count == 0 ? "none" : string.Join(", ", knobs.Select(k => k.Name).Distinct(StringComparer.Ordinal).Take(40))
            + (knobs.Count > 40 ? $" and {knobs.Count - 40} more" : "");

    private static KnobSpace Override(Knob knob, IDictionary<string, object> o, List<string> problems)
    {
        var space = knob.Space;
        if (o.TryGetValue("frozen", out var frozen) && frozen is true)
        {
            return space with { Frozen = true, Reason = "frozen = true in [search.knobs]" };
        }

        if (KnobScanner.IsSeed(knob.Name))
        {
            problems.Add($"[search.knobs] {knob.Name} is a random seed: searching it only fits noise; give runs fresh seeds with {{seed}} or AUTORESEARCH_SEED instead");
            return space;
        }

        if (o.TryGetValue("choices", out var choices) && choices is IEnumerable list && choices is not string)
        {
            var quote = knob.Literal.Length > 0 && knob.Literal[0] is '"' or '\'' ? knob.Literal[0].ToString() : "";
            // Booleans are written as the file writes them: True/False in Python, true/false elsewhere.
            var python = knob.Literal is "True" or "False";
            var options = list.Cast<object>().Select(c => c is bool b
                ? (python ? (b ? "True" : "False") : (b ? "true" : "false"))
                : quote + Convert.ToString(c, CultureInfo.InvariantCulture) + quote).ToList();
            return space with { Kind = KnobKind.Choice, Choices = options, Frozen = false, Reason = null };
        }

        if (o.TryGetValue("range", out var range))
        {
            var bounds = range is IEnumerable r and not string ? r.Cast<object>().Select(Number).ToList() : [];
            if (bounds.Count != 2 || bounds.Any(b => b is null) || bounds[0] >= bounds[1])
            {
                problems.Add($"[search.knobs] {knob.Name}: range must be [low, high] with low < high");
                return space;
            }

            space = space with { Low = bounds[0]!.Value, High = bounds[1]!.Value, PowerOfTwo = false, Frozen = false, Reason = null };
            // A decay rate keeps its 1 - value scale inside (0, 1); otherwise a range replaces the inferred scale: log when
            // it spans two decades or more, unless `log` says otherwise.
            space = space.Complement && space.Low > 0 && space.High < 1
                ? space with { Log = true }
                : space with { Complement = false, Log = space.Low > 0 && space.High / space.Low >= 100 };
        }

        if (o.TryGetValue("log", out var log) && log is bool isLog)
        {
            if (isLog && space.Low <= 0)
            {
                problems.Add($"[search.knobs] {knob.Name}: log = true needs a positive range");
            }

            space = space with { Log = isLog };
        }

        if (o.TryGetValue("int", out var integer) && integer is bool isInt)
        {
            space = space with { Kind = isInt ? KnobKind.Integer : KnobKind.Float, PowerOfTwo = isInt && space.PowerOfTwo };
        }

        return space;
    }

    private static double? Number(object value) => value switch
    {
        long l => l,
        double d => d,
        int i => i,
        _ => null,
    };

    private static Regex Wildcard(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant);
}
