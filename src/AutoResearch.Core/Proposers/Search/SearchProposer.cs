using System.Globalization;
using System.Text;
using AutoResearch.Core.Records;
using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;

namespace AutoResearch.Core.Proposers.Search;

/// <summary>
/// The built-in proposer, no LLM needed: finds the knobs of the editable files (<see cref="KnobScanner"/>) and
/// moves one to three of them away from the best configuration, with a step that widens after keeps and narrows
/// after failures (a (1+1) evolution strategy with the one-fifth success rule). Its state is the ledger's history,
/// so a restart resumes the same search; it never proposes a change it already tried. The edit replaces only the
/// literals, so the diff is the changed numbers and nothing else.
/// </summary>
public sealed class SearchProposer : IProposer
{
    private const double InitialStep = 0.25;
    private const double MinStep = 0.02;
    private const double MaxStep = 0.5;

    public string Name => "search";

    public async Task<Proposal> ProposeAsync(ProposalContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var spec = context.Spec;
        var settings = new SearchSettings(spec.Extra.GetValueOrDefault("search"), spec.Source);
        var files = (await Git.RunAsync(context.Worktree, ["ls-files", "-z"], cancellationToken).ConfigureAwait(false))
            .Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Where(spec.Scope.IsEditable)
            .ToList();
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        var found = new List<Knob>();
        // Spaces come from the run's baseline, so they stay put while the best configuration moves.
        var baselineCommit = context.History.FirstOrDefault(e => e.IsBaseline)?.CandidateCommit ?? context.Best.CandidateCommit;
        foreach (var file in files.Where(f => Path.GetExtension(f) is ".cs" or ".py" or ".sh" or ".env"))
        {
            texts[file] = await File.ReadAllTextAsync(Path.Combine(context.Worktree, file), cancellationToken).ConfigureAwait(false);
            var (exit, original, _) = baselineCommit is null
                ? (1, "", "")
                : await Git.TryRunAsync(context.Worktree, ["show", $"{baselineCommit}:{file}"], cancellationToken).ConfigureAwait(false);
            var baseline = exit == 0 ? KnobScanner.Scan(file, original).ToDictionary(k => k.Name, k => k.Space, StringComparer.Ordinal) : [];
            found.AddRange(KnobScanner.Scan(file, texts[file]).Select(k => baseline.TryGetValue(k.Name, out var space) ? k with { Space = space } : k));
        }

        var knobs = settings.Apply(found, spec.Source);
        if (knobs.Count == 0)
        {
            throw new ResearchException(
                $"the search proposer found no tunable constants in {string.Join(", ", files)}: write them as UPPER_CASE constants " +
                "(C#: `const double LEARNING_RATE = 1e-3;`, Python: `LEARNING_RATE = 1e-3`, shell: `LR=0.001`) with non-zero values, or use another --agent");
        }

        var step = Step(context.History);
        var tried = context.History.Select(e => e.Description).OfType<string>().ToHashSet(StringComparer.Ordinal);
        // Seeded from the spec and the experiment number (not HashCode, which is salted per process), so a rerun repeats.
        var random = new Random(unchecked((spec.Run.Seed * 1_000_003) + (context.Experiment.Seq * 7919)));
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var count = random.NextDouble() switch { < 0.6 => 1, < 0.9 => 2, _ => 3 };
            var chosen = knobs.OrderBy(_ => random.Next()).Take(Math.Min(count, knobs.Count)).ToList();
            var moves = chosen.Select(k => (Knob: k, Value: Move(k, step, random, spec.Source))).Where(m => m.Value != m.Knob.Literal).ToList();
            if (moves.Count == 0)
            {
                continue;
            }

            var description = Proposal.Cut(string.Join(", ", moves.OrderBy(m => m.Knob.Name, StringComparer.Ordinal).Select(m => $"{m.Knob.Name} {m.Knob.Literal} -> {m.Value}")));
            if (tried.Contains(description))
            {
                continue;
            }

            foreach (var group in moves.GroupBy(m => m.Knob.File))
            {
                var text = new StringBuilder(texts[group.Key]);
                // From the end backwards, so earlier offsets stay valid.
                foreach (var (knob, value) in group.OrderByDescending(m => m.Knob.Start))
                {
                    text.Remove(knob.Start, knob.Length).Insert(knob.Start, value);
                }

                await File.WriteAllTextAsync(Path.Combine(context.Worktree, group.Key), text.ToString(), new UTF8Encoding(false), cancellationToken)
                    .ConfigureAwait(false);
            }

            return Proposal.Success(description);
        }

        return Proposal.Failure("no untried move", $"the search found no untried change among {knobs.Count} knobs near the best; widen their ranges in [search.knobs]");
    }

    /// <summary>The step in unit space: widened by keeps, narrowed by everything else (one-fifth rule).</summary>
    internal static double Step(IEnumerable<ExperimentRecord> history)
    {
        var step = InitialStep;
        foreach (var e in history.Where(e => e.Proposer == "search" && e.Phase == ExperimentPhase.Done))
        {
            step = Math.Clamp(step * (e.Status == ExperimentStatus.Keep ? 1.5 : 0.9), MinStep, MaxStep);
        }

        return step;
    }

    /// <summary>A new literal for <paramref name="knob"/>: a Gaussian step in its unit space, or another choice.</summary>
    internal static string Move(Knob knob, double step, Random random, string source)
    {
        var space = knob.Space;
        if (space.Kind is KnobKind.Boolean or KnobKind.Choice)
        {
            var others = space.Choices.Where(c => c.Trim('"', '\'') != knob.Literal.Trim('"', '\'')).ToList();
            return others.Count == 0 ? knob.Literal : others[random.Next(others.Count)];
        }

        if (!KnobScanner.TryParseNumber(knob.Literal, out var current, out _))
        {
            throw new SpecException(source, [$"{knob.File}: {knob.Name} = {knob.Literal} is not a number; freeze it in [search.knobs]"]);
        }

        double ToUnit(double v) => space.Log
            ? (Math.Log(Math.Max(v, space.Low)) - Math.Log(space.Low)) / (Math.Log(space.High) - Math.Log(space.Low))
            : (v - space.Low) / (space.High - space.Low);
        double FromUnit(double u) => space.Log
            ? Math.Exp(Math.Log(space.Low) + (u * (Math.Log(space.High) - Math.Log(space.Low))))
            : space.Low + (u * (space.High - space.Low));

        for (var attempt = 0; attempt < 20; attempt++)
        {
            var u = Math.Clamp(ToUnit(current) + (step * Gaussian(random)), 0, 1);
            var value = FromUnit(u);
            var literal = space.Kind == KnobKind.Integer ? FormatInteger(value, space) : FormatFloat(value, knob.Literal);
            if (literal != knob.Literal && KnobScanner.TryParseNumber(literal, out var parsed, out _) && parsed != current)
            {
                return literal;
            }
        }

        return knob.Literal;
    }

    private static string FormatInteger(double value, KnobSpace space)
    {
        var v = space.PowerOfTwo ? Math.Pow(2, Math.Round(Math.Log2(Math.Max(1, value)))) : Math.Round(value);
        return ((long)Math.Clamp(v, Math.Ceiling(space.Low), Math.Floor(space.High))).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Three significant digits, in the style of the original literal (e-notation, C# suffix, a decimal point).</summary>
    private static string FormatFloat(double value, string original)
    {
        var suffix = original.Length > 0 && char.IsLetter(original[^1]) && !original.EndsWith('e') ? original[^1].ToString() : "";
        var rounded = double.Parse(value.ToString("G3", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        string text;
        if (original.Contains('e', StringComparison.OrdinalIgnoreCase))
        {
            var exponent = (int)Math.Floor(Math.Log10(Math.Abs(rounded)));
            var mantissa = Math.Round(rounded / Math.Pow(10, exponent), 2);
            text = mantissa.ToString("0.##", CultureInfo.InvariantCulture) + "e" + exponent.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            text = rounded.ToString("0.################", CultureInfo.InvariantCulture);
            if (!text.Contains('.', StringComparison.Ordinal))
            {
                text += ".0";
            }
        }

        return text + suffix;
    }

    private static double Gaussian(Random random)
    {
        // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
