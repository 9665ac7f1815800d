using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;

namespace AutoResearch.Core.Proposers.Search;

/// <summary>
/// What the search proposer sees in a workspace: the editable files it reads, every knob found in them (frozen ones
/// included) and the knobs it searches once <c>[search]</c> is applied. <c>status</c> lists it and <c>run</c> checks it
/// before the baseline.
/// </summary>
/// <param name="Files">The editable files in a language the scanner reads (<see cref="KnobScanner.Extensions"/>).</param>
/// <param name="Found">Every knob found, frozen ones included, in file order.</param>
/// <param name="Tunable">The knobs searched (none when <paramref name="Problems"/> has any).</param>
/// <param name="Problems">What is wrong with <c>[search]</c>: a malformed entry, a <c>[search.knobs]</c> entry that
/// matches no knob found.</param>
public sealed record SearchKnobs(IReadOnlyList<string> Files, IReadOnlyList<Knob> Found, IReadOnlyList<Knob> Tunable, IReadOnlyList<string> Problems)
{
    /// <summary>Files larger than this are not scanned (a data file, not a config).</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>The knobs of <paramref name="texts"/> (path to text) under <paramref name="spec"/>'s <c>[search]</c>.</summary>
    public static SearchKnobs Read(ResearchSpec spec, IReadOnlyDictionary<string, string> texts)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(texts);
        var found = texts.SelectMany(t => KnobScanner.Scan(t.Key, t.Value)).ToList();
        try
        {
            var settings = new SearchSettings(spec.Extra.GetValueOrDefault("search"), spec.Source);
            return new SearchKnobs([.. texts.Keys], found, Searchable(settings.Apply(found, spec.Source)), []);
        }
        catch (SpecException e)
        {
            // Reported with what was found: status lists both, run refuses to start.
            return new SearchKnobs([.. texts.Keys], found, [], e.Problems);
        }
    }

    /// <summary>
    /// Throws when the search cannot start: <c>[search]</c> has problems, or nothing is left to search.
    /// </summary>
    /// <exception cref="SpecException">Every problem, or why there is nothing to search.</exception>
    public void EnsureSearchable(ResearchSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Problems.Count > 0)
        {
            throw new SpecException(spec.Source, Problems);
        }

        if (Tunable.Count == 0)
        {
            throw new SpecException(spec.Source, [NothingToSearch(spec, Files, Found)]);
        }
    }

    /// <summary>The knobs of the tracked editable files as they are in the working tree of <paramref name="root"/>.</summary>
    public static async Task<SearchKnobs> ReadAsync(ResearchSpec spec, string root, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in await EditableFilesAsync(spec, root, cancellationToken).ConfigureAwait(false))
        {
            var path = Path.Combine(root, file);
            if (File.Exists(path) && new FileInfo(path).Length <= MaxFileBytes)
            {
                texts[file] = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
            }
        }

        return Read(spec, texts);
    }

    /// <summary>The tracked files of <paramref name="root"/> that are editable and in a language the scanner reads.</summary>
    public static async Task<IReadOnlyList<string>> EditableFilesAsync(ResearchSpec spec, string root, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return (await Git.RunAsync(root, ["ls-files", "-z"], cancellationToken).ConfigureAwait(false))
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(f => spec.Scope.IsEditable(f) && KnobScanner.Reads(f))
            .ToList();
    }

    /// <summary>Drops choice knobs with fewer than two choices: there is nothing to search.</summary>
    internal static List<Knob> Searchable(IEnumerable<Knob> knobs) =>
        knobs.Where(k => k.Space.Kind is not (KnobKind.Boolean or KnobKind.Choice) || k.Space.Choices.Count >= 2).ToList();

    /// <summary>Why a workspace gives the search nothing to do, naming the files read and the conventions looked for.</summary>
    public static string NothingToSearch(ResearchSpec spec, IReadOnlyList<string> files, IReadOnlyList<Knob> found)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(found);
        var where = files.Count == 0
            ? $"no editable file in a language it reads (editable: {string.Join(", ", spec.Scope.Globs)}; it reads {string.Join(" ", KnobScanner.Extensions)})"
            : $"no tunable constants in {string.Join(", ", files)}";
        var frozen = found.Count == 0 ? "" : $"; found only frozen ones: {string.Join(", ", found.Take(10).Select(k => $"{k.Name} ({k.Space.Describe()})"))}";
        return $"the search proposer found {where}{frozen}. It looks for {KnobScanner.Conventions}; " +
            "make a file with such knobs editable in [scope] editable, give frozen ones a range in [search.knobs], or use another --agent";
    }
}
