using System.Text;
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
/// </summary>
public sealed class SearchProposer : IProposer
{
    // Commits never change, so what a commit's files say about the knobs is read once per proposer.
    private readonly Dictionary<(string Commit, string File), IReadOnlyDictionary<string, string>?> _literals = [];

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
        var found = new List<Knob>();
        foreach (var file in files)
        {
            var path = Path.Combine(context.Worktree, file);
            if (new FileInfo(path).Length > SearchKnobs.MaxFileBytes)
            {
                continue;
            }

            texts[file] = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
            var baseline = baselineCommit is null ? null : await ShowAsync(context.Worktree, baselineCommit, file, cancellationToken).ConfigureAwait(false);
            var spaces = baseline is null ? [] : KnobScanner.Scan(file, baseline).ToDictionary(k => k.Name, k => k.Space, StringComparer.Ordinal);
            found.AddRange(KnobScanner.Scan(file, texts[file]).Select(k => spaces.TryGetValue(k.Name, out var space) ? k with { Space = space } : k));
        }

        var knobs = SearchKnobs.Searchable(settings.Apply(found, spec.Source));
        if (knobs.Count == 0)
        {
            throw new ResearchException(SearchKnobs.NothingToSearch(spec, files, found));
        }

        var observations = await ObservationsAsync(context, knobs, cancellationToken).ConfigureAwait(false);
        var optimizer = new BayesianOptimizer(knobs.Select(k => k.Space.Dimension()).ToList());
        var tried = observations.Select(o => Key(knobs, o.Literals)).ToHashSet(StringComparer.Ordinal);
        for (var attempt = 0; attempt < 20; attempt++)
        {
            // Moves are made from the configuration in the worktree (the current best), few knobs at a time early on.
            var current = knobs.Select(k => k.Space.ToUnit(k.Literal) ?? 0.5).ToArray();
            var point = optimizer.Suggest(observations.Select(o => o.Observation).ToList(), unchecked(spec.Run.Seed + (attempt * 7919)), current);
            var literals = knobs.Select((k, i) => k.Space.ToLiteral(point[i], k.Literal)).ToArray();
            if (tried.Contains(Key(knobs, literals)))
            {
                continue;
            }

            var moves = knobs.Select((k, i) => (Knob: k, Value: literals[i])).Where(m => m.Value != m.Knob.Literal).ToList();
            if (moves.Count == 0)
            {
                continue;
            }

            await EditAsync(context.Worktree, texts, moves, cancellationToken).ConfigureAwait(false);
            return Proposal.Success(string.Join(", ", moves.Select(m => $"{m.Knob.Name} {m.Knob.Literal} -> {m.Value}")));
        }

        return Proposal.Failure("no untried configuration", $"the search found no untried configuration of {knobs.Count} knobs; widen their ranges in [search.knobs]");
    }

    /// <summary>
    /// Every finished experiment of the run as a point and a value: its knobs as its candidate commit has them (a knob
    /// missing there counts at its baseline value), its metric turned into a loss, crashes and timeouts as failures.
    /// </summary>
    private async Task<List<(Observation Observation, string[] Literals)>> ObservationsAsync(ProposalContext context, List<Knob> knobs, CancellationToken cancellationToken)
    {
        var sign = context.Spec.Objective.Direction == Direction.Minimize ? 1 : -1;
        var result = new List<(Observation, string[])>();
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
            var point = new double[knobs.Count];
            for (var i = 0; i < knobs.Count; i++)
            {
                var knob = knobs[i];
                var at = await LiteralsAsync(context.Worktree, e.CandidateCommit, knob.File, cancellationToken).ConfigureAwait(false);
                literals[i] = at is not null && at.TryGetValue(knob.Name, out var literal) ? literal : knob.Literal;
                point[i] = knob.Space.ToUnit(literals[i]) ?? knob.Space.ToUnit(knob.Literal) ?? 0.5;
            }

            result.Add((new Observation(point, value), literals));
        }

        return result;
    }

    private async Task<IReadOnlyDictionary<string, string>?> LiteralsAsync(string worktree, string commit, string file, CancellationToken cancellationToken)
    {
        if (!_literals.TryGetValue((commit, file), out var literals))
        {
            var text = await ShowAsync(worktree, commit, file, cancellationToken).ConfigureAwait(false);
            literals = text is null ? null : KnobScanner.Scan(file, text).ToDictionary(k => k.Name, k => k.Literal, StringComparer.Ordinal);
            _literals[(commit, file)] = literals;
        }

        return literals;
    }

    private static async Task<string?> ShowAsync(string worktree, string commit, string file, CancellationToken cancellationToken)
    {
        var (exit, text, _) = await Git.TryRunAsync(worktree, ["show", $"{commit}:{file}"], cancellationToken).ConfigureAwait(false);
        return exit == 0 ? text : null;
    }

    private static string Key(List<Knob> knobs, IReadOnlyList<string> literals) =>
        string.Join('\n', knobs.Select((k, i) => KnobScanner.TryParseNumber(literals[i], out var v, out _) ? v.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : literals[i].Trim('"', '\'')));

    /// <summary>Replaces the changed literals in place, from the end of each file backwards so earlier offsets stay valid.</summary>
    private static async Task EditAsync(string worktree, Dictionary<string, string> texts, List<(Knob Knob, string Value)> moves, CancellationToken cancellationToken)
    {
        foreach (var group in moves.GroupBy(m => m.Knob.File))
        {
            var text = new StringBuilder(texts[group.Key]);
            foreach (var (knob, value) in group.OrderByDescending(m => m.Knob.Start))
            {
                text.Remove(knob.Start, knob.Length).Insert(knob.Start, value);
            }

            await File.WriteAllTextAsync(Path.Combine(worktree, group.Key), text.ToString(), new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        }
    }
}
