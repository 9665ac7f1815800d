using System.Text;
using AutoResearch.Core.Proposers.Search.Edits;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;

namespace AutoResearch.Core.Proposers.Search;

/// <summary>
/// The built-in proposer, no LLM needed: finds the knobs of the editable files (<see cref="KnobScanner"/>,
/// <see cref="SearchSettings"/>) and asks a <see cref="BayesianOptimizer"/> for the next configuration, given every
/// configuration the run has measured: the baseline first, crashes and timeouts as the worst value seen. Its state is
/// the ledger: each experiment's configuration is read back from its candidate commit, so a restart resumes the same
/// search. The edit replaces only the literals that change, so the diff is the changed numbers and nothing else.
/// Besides the knobs, each code edit of <see cref="CodeEdits"/> that applies to an editable file of the baseline is one
/// more coordinate (applied or not, read back from a commit by the edit's marker): the optimizer weighs structural
/// changes together with the numbers. An edit is only ever added (a kept one stays), and one whose anchor is gone from
/// the current best is skipped with its reason in the proposal's description.
/// </summary>
public sealed class SearchProposer : IProposer
{
    // Commits never change, so what a commit's files say about the knobs is read once per proposer.
    private readonly Dictionary<(string Commit, string File), IReadOnlyDictionary<string, string>?> _literals = [];
    private readonly Dictionary<(string Commit, string File), string?> _texts = [];

    public string Name => "search";

    public async Task<Proposal> ProposeAsync(ProposalContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var spec = context.Spec;
        var settings = new SearchSettings(spec.Extra.GetValueOrDefault("search"), spec.Source);
        var files = await SearchKnobs.EditableFilesAsync(spec, context.Worktree, cancellationToken).ConfigureAwait(false);

        // Spaces come from the run's baseline, so they stay put while the best configuration moves.
        var baselineCommit = context.History.FirstOrDefault(e => e.IsBaseline)?.CandidateCommit ?? context.Best.CandidateCommit;
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        var baselines = new Dictionary<string, string>(StringComparer.Ordinal);
        var found = new List<Knob>();
        foreach (var file in files)
        {
            var path = Path.Combine(context.Worktree, file);
            if (new FileInfo(path).Length > SearchKnobs.MaxFileBytes)
            {
                continue;
            }

            texts[file] = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
            var baseline = baselineCommit is null ? null : await TextAsync(context.Worktree, baselineCommit, file, cancellationToken).ConfigureAwait(false);
            baselines[file] = baseline ?? texts[file];
            var spaces = baseline is null ? [] : KnobScanner.Scan(file, baseline).ToDictionary(k => k.Name, k => k.Space, StringComparer.Ordinal);
            found.AddRange(KnobScanner.Scan(file, texts[file]).Select(k => spaces.TryGetValue(k.Name, out var space) ? k with { Space = space } : k));
        }

        var knobs = SearchKnobs.Searchable(settings.Apply(found, spec.Source));
        var edits = OfferedEdits(baselines, knobs, settings);
        if (knobs.Count == 0 && edits.Count == 0)
        {
            throw new ResearchException(SearchKnobs.NothingToSearch(spec, files, found));
        }

        var observations = await ObservationsAsync(context, knobs, edits, cancellationToken).ConfigureAwait(false);
        var optimizer = new BayesianOptimizer([.. knobs.Select(k => k.Space.Dimension()), .. edits.Select(_ => new SearchDimension(2))]);
        var tried = observations.Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
        var applied = edits.Select(e => e.Edit.IsApplied(texts[e.File])).ToArray();
        for (var attempt = 0; attempt < 20; attempt++)
        {
            // Moves are made from the configuration in the worktree (the current best), few knobs at a time early on.
            double[] current = [.. knobs.Select(k => k.Space.ToUnit(k.Literal) ?? 0.5), .. applied.Select(a => a ? 1.0 : 0.0)];
            var point = optimizer.Suggest(observations.Select(o => o.Observation).ToList(), unchecked(spec.Run.Seed + (attempt * 7919)), current);
            var literals = knobs.Select((k, i) => k.Space.ToLiteral(point[i], k.Literal)).ToArray();
            // An edit is only added: one the best already carries stays, whatever the point says.
            var wanted = edits.Select((_, j) => applied[j] || point[knobs.Count + j] >= 0.5).ToArray();
            if (tried.Contains(Key(knobs, literals, wanted)))
            {
                continue;
            }

            var moves = knobs.Select((k, i) => (Knob: k, Value: literals[i])).Where(m => m.Value != m.Knob.Literal).ToList();
            var (edited, notes) = ApplyEdits(edits.Where((_, j) => wanted[j] && !applied[j]), texts);

            if (moves.Count == 0 && edited.All(f => f.Value == texts[f.Key]))
            {
                continue;
            }

            await EditAsync(context.Worktree, texts, edited, moves, cancellationToken).ConfigureAwait(false);
            // Code edits first: they are the larger change, and a skipped one must not be cut off the end of the line.
            return Proposal.Success(string.Join("; ", notes.Concat(moves.Count == 0 ? [] : [string.Join(", ", moves.Select(m => $"{m.Knob.Name} {m.Knob.Literal} -> {m.Value}"))])));
        }

        return Proposal.Failure("no untried configuration", $"the search found no untried configuration of {knobs.Count} knobs and {edits.Count} code edits; widen their ranges in [search.knobs]");
    }

    /// <summary>
    /// Applies <paramref name="added"/> to the files' texts in turn; returns every file's text after them and one note per
    /// edit for the proposal's description: what it did, or why it was skipped (its anchor is gone from the current best).
    /// </summary>
    internal static (Dictionary<string, string> Edited, List<string> Notes) ApplyEdits(IEnumerable<(CodeEdit Edit, string File)> added, IReadOnlyDictionary<string, string> texts)
    {
        var edited = new Dictionary<string, string>(texts, StringComparer.Ordinal);
        var notes = new List<string>();
        foreach (var (edit, file) in added)
        {
            var outcome = edit.Apply(file, edited[file]);
            if (outcome.Text is { } text)
            {
                edited[file] = text;
                notes.Add($"edit {edit.Name}: {edit.Description}");
            }
            else
            {
                notes.Add($"edit {edit.Name} skipped: {outcome.Skipped}");
            }
        }

        return (edited, notes);
    }

    /// <summary>
    /// The code edits the search may add: those <c>[search] edits</c> allows that apply to a file as the run's baseline has
    /// it, except where the file already offers the same change as a choice (the tinygpt template's <c>MLP = "relu2"</c>).
    /// </summary>
    private static List<(CodeEdit Edit, string File)> OfferedEdits(Dictionary<string, string> baselines, List<Knob> knobs, SearchSettings settings)
    {
        var offered = new List<(CodeEdit, string)>();
        foreach (var (file, text) in baselines)
        {
            foreach (var edit in CodeEdits.All.Where(e => settings.AllowsEdit(e.Name)))
            {
                var choice = edit.SameAsChoice;
                if (choice is not null && knobs.Any(k => k.File == file && k.Space.Choices.Any(c => c.Trim('"', '\'') == choice)))
                {
                    continue;
                }

                if (edit.Apply(file, text).Text is not null)
                {
                    offered.Add((edit, file));
                }
            }
        }

        return offered;
    }

    /// <summary>
    /// Every finished experiment of the run as a point and a value: its knobs as its candidate commit has them (a knob
    /// missing there counts at its baseline value), its metric turned into a loss, crashes and timeouts as failures.
    /// </summary>
    private async Task<List<(Observation Observation, string Key)>> ObservationsAsync(ProposalContext context, List<Knob> knobs,
        List<(CodeEdit Edit, string File)> edits, CancellationToken cancellationToken)
    {
        var sign = context.Spec.Objective.Direction == Direction.Minimize ? 1 : -1;
        var result = new List<(Observation, string)>();
        foreach (var e in context.History)
        {
            if (e.Phase != ExperimentPhase.Done || e.CandidateCommit is null || e.Status is ExperimentStatus.Rejected or null)
            {
                continue;
            }

            double? value = e.Status is ExperimentStatus.Crash or ExperimentStatus.Timeout || e.Metric is not { } metric || !double.IsFinite(metric)
                ? null
                : sign * metric + CostObjective.Penalty(context.Spec, e, context.History);
            var literals = new string[knobs.Count];
            var point = new double[knobs.Count + edits.Count];
            for (var i = 0; i < knobs.Count; i++)
            {
                var knob = knobs[i];
                var at = await LiteralsAsync(context.Worktree, e.CandidateCommit, knob.File, cancellationToken).ConfigureAwait(false);
                literals[i] = at is not null && at.TryGetValue(knob.Name, out var literal) ? literal : knob.Literal;
                point[i] = knob.Space.ToUnit(literals[i]) ?? knob.Space.ToUnit(knob.Literal) ?? 0.5;
            }

            var applied = new bool[edits.Count];
            for (var j = 0; j < edits.Count; j++)
            {
                var text = await TextAsync(context.Worktree, e.CandidateCommit, edits[j].File, cancellationToken).ConfigureAwait(false);
                applied[j] = text is not null && edits[j].Edit.IsApplied(text);
                point[knobs.Count + j] = applied[j] ? 1 : 0;
            }

            result.Add((new Observation(point, value), Key(knobs, literals, applied)));
        }

        return result;
    }

    private async Task<IReadOnlyDictionary<string, string>?> LiteralsAsync(string worktree, string commit, string file, CancellationToken cancellationToken)
    {
        if (!_literals.TryGetValue((commit, file), out var literals))
        {
            var text = await TextAsync(worktree, commit, file, cancellationToken).ConfigureAwait(false);
            literals = text is null ? null : KnobScanner.Scan(file, text).ToDictionary(k => k.Name, k => k.Literal, StringComparer.Ordinal);
            _literals[(commit, file)] = literals;
        }

        return literals;
    }

    // A file as a commit has it (cached: commits never change); null where the commit has no such file.
    private async Task<string?> TextAsync(string worktree, string commit, string file, CancellationToken cancellationToken)
    {
        if (!_texts.TryGetValue((commit, file), out var text))
        {
            var (exit, output, _) = await Git.TryRunAsync(worktree, ["show", $"{commit}:{file}"], cancellationToken).ConfigureAwait(false);
            _texts[(commit, file)] = text = exit == 0 ? output : null;
        }

        return text;
    }

    private static string Key(List<Knob> knobs, IReadOnlyList<string> literals, IReadOnlyList<bool> edits) =>
        string.Join('\n', knobs.Select((k, i) => KnobScanner.TryParseNumber(literals[i], out var v, out _) ? v.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : literals[i].Trim('"', '\''))
            .Concat(edits.Select(e => e ? "edit" : "-")));

    /// <summary>
    /// Replaces the changed literals in place, from the end of each file backwards so earlier offsets stay valid (offsets
    /// are those of <paramref name="texts"/>), on the text the code edits made of each file (<paramref name="edited"/>;
    /// edits leave the literals' lines before them as they were, and a literal whose text moved is found by its name).
    /// </summary>
    private static async Task EditAsync(string worktree, Dictionary<string, string> texts, Dictionary<string, string> edited,
        List<(Knob Knob, string Value)> moves, CancellationToken cancellationToken)
    {
        foreach (var file in edited.Keys.Where(f => edited[f] != texts[f] || moves.Any(m => m.Knob.File == f)))
        {
            var text = edited[file];
            foreach (var (knob, value) in moves.Where(m => m.Knob.File == file).OrderByDescending(m => m.Knob.Start))
            {
                var start = text == texts[file] ? knob.Start : Relocate(texts[file], text, knob);
                text = text.Remove(start, knob.Length).Insert(start, value);
            }

            await File.WriteAllTextAsync(Path.Combine(worktree, file), text, new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        }
    }

    // Where a knob's literal is in a file a code edit changed: the edits rewrite code, not the constants, so the literal
    // is found again by its line (the same text, the n-th occurrence of it, counted from the start).
    internal static int Relocate(string before, string after, Knob knob)
    {
        var lineStart = before.LastIndexOf('\n', Math.Max(0, knob.Start - 1)) + 1;
        var lineEnd = before.IndexOf('\n', knob.Start);
        var line = before[lineStart..(lineEnd < 0 ? before.Length : lineEnd)];
        var occurrence = 0;
        for (var at = before.IndexOf(line, StringComparison.Ordinal); at >= 0 && at < lineStart; at = before.IndexOf(line, at + 1, StringComparison.Ordinal))
        {
            occurrence++;
        }

        var found = -1;
        for (var i = 0; i <= occurrence; i++)
        {
            found = after.IndexOf(line, found + 1, StringComparison.Ordinal);
            if (found < 0)
            {
                throw new ResearchException($"the search's code edit moved the line of {knob.Name} ({line.Trim()}); this is a bug in the edit");
            }
        }

        return found + (knob.Start - lineStart);
    }
}
