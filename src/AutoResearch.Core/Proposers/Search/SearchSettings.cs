using System.Collections;
using System.Globalization;
using System.Text.RegularExpressions;

namespace AutoResearch.Core.Proposers.Search;

/// <summary>
/// The <c>[search]</c> section: <c>include</c> / <c>exclude</c> (knob names, <c>*</c> wildcards) and
/// <c>[search.knobs]</c> entries that override or freeze a knob's space:
/// <c>LEARNING_RATE = { range = [1e-4, 1e-1], log = true }</c>, <c>N_LAYER = { range = [1, 8], int = true }</c>,
/// <c>ACTIVATION = { choices = ["gelu", "relu"] }</c>, <c>SEED = { frozen = true }</c>.
/// </summary>
public sealed class SearchSettings
{
    private readonly List<Regex> _include = [];
    private readonly List<Regex> _exclude = [];
    private readonly Dictionary<string, IDictionary<string, object>> _overrides = new(StringComparer.Ordinal);

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
                    problems.Add($"[search] {key} is not understood (known: include, exclude, knobs)");
                    break;
            }
        }

        if (problems.Count > 0)
        {
            throw new SpecException(source, problems);
        }
    }

    /// <summary>Applies include/exclude and overrides; frozen knobs (by override, or with no space to infer and no
    /// override giving one) are dropped.</summary>
    public IReadOnlyList<Knob> Apply(IEnumerable<Knob> knobs, string source)
    {
        var problems = new List<string>();
        var result = new List<Knob>();
        foreach (var knob in knobs)
        {
            var baseName = knob.Name.Split('[')[0];
            if ((_include.Count > 0 && !_include.Any(r => r.IsMatch(knob.Name) || r.IsMatch(baseName)))
                || _exclude.Any(r => r.IsMatch(knob.Name) || r.IsMatch(baseName)))
            {
                continue;
            }

            var space = _overrides.TryGetValue(knob.Name, out var o) ? Override(knob, o, problems) : knob.Space;
            if (!space.Frozen)
            {
                result.Add(knob with { Space = space });
            }
        }

        if (problems.Count > 0)
        {
            throw new SpecException(source, problems);
        }

        return result;
    }

    private static KnobSpace Override(Knob knob, IDictionary<string, object> o, List<string> problems)
    {
        var space = knob.Space;
        if (o.TryGetValue("frozen", out var frozen) && frozen is true)
        {
            return space with { Frozen = true };
        }

        if (o.TryGetValue("choices", out var choices) && choices is IEnumerable list && choices is not string)
        {
            var quote = knob.Literal.Length > 0 && knob.Literal[0] is '"' or '\'' ? knob.Literal[0].ToString() : "";
            var options = list.Cast<object>().Select(c => quote + Convert.ToString(c, CultureInfo.InvariantCulture) + quote).ToList();
            return space with { Kind = KnobKind.Choice, Choices = options, Frozen = false };
        }

        if (o.TryGetValue("range", out var range))
        {
            var bounds = range is IEnumerable r and not string ? r.Cast<object>().Select(Number).ToList() : [];
            if (bounds.Count != 2 || bounds.Any(b => b is null) || bounds[0] >= bounds[1])
            {
                problems.Add($"[search.knobs] {knob.Name}: range must be [low, high] with low < high");
                return space;
            }

            space = space with { Low = bounds[0]!.Value, High = bounds[1]!.Value, PowerOfTwo = false, Frozen = false };
            // A range replaces the inferred scale: log when it spans two decades or more, unless `log` says otherwise.
            space = space with { Log = space.Low > 0 && space.High / space.Low >= 100 };
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
