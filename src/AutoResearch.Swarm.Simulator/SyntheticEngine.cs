using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using AutoResearch.Core.Acceptance;
using AutoResearch.Core.Spec;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Simulator;

/// <summary>
/// An honest worker's engine on the synthetic objective: rebuilds the head from the chain, measures it once per head, proposes a
/// random step on one knob, and decides with Core's acceptance rule (a borderline win is confirmed at a fresh seed). Each run
/// takes <see cref="RunTime"/> of wall time, standing for a real training run.
/// </summary>
internal class SyntheticEngine(SyntheticObjective objective, ResearchSpec spec, TimeSpan runTime, int seed) : IExperimentEngine
{
    private readonly ConcurrentDictionary<long, string> _heads = new();
    private readonly ConcurrentDictionary<(long Head, int Seed), double> _parents = new();

    protected Random Random { get; } = new(seed);

    protected SyntheticObjective Objective => objective;

    public TimeSpan RunTime => runTime;

    public virtual async Task<Exploration> ExploreAsync(HeadSnapshot head, int seed, CancellationToken cancellationToken = default)
    {
        var text = HeadText(head);
        var runs = 0;
        if (!_parents.TryGetValue((head.Sequence, seed), out var parent))
        {
            parent = objective.Measure(text, seed);
            _parents[(head.Sequence, seed)] = parent;
            runs++;
        }

        var (patch, description) = Propose(text);
        var candidateText = SyntheticObjective.Apply(text, patch)!;
        var values = new List<double> { objective.Measure(candidateText, seed) };
        runs++;
        var sigma = spec.Acceptance.Sigma ?? objective.Sigma;
        var verdict = AcceptanceRule.Decide(spec.Acceptance, spec.Objective, sigma, parent, values, netDeletion: false);
        while (verdict.Outcome == VerdictOutcome.Confirm)
        {
            values.Add(objective.Measure(candidateText, seed + values.Count));
            runs++;
            verdict = AcceptanceRule.Decide(spec.Acceptance, spec.Objective, sigma, parent, values, netDeletion: false);
        }

        await Task.Delay(runTime * runs, cancellationToken).ConfigureAwait(false);
        var keep = verdict.Outcome == VerdictOutcome.Keep;
        return new Exploration(keep, keep ? "keep" : "discard", patch, description, parent, values[0], Digest(candidateText, seed), runs);
    }

    public virtual async Task<Verification> VerifyAsync(HeadSnapshot head, string patch, int seed, bool holdout, CancellationToken cancellationToken = default)
    {
        var text = HeadText(head);
        var candidate = SyntheticObjective.Apply(text, patch);
        if (candidate is null)
        {
            return new Verification(false, null, null, null, null, "", 0);
        }

        // The head's run at this seed is the same for every claim on it: run it once.
        var runs = (holdout ? 2 : 1) + (_parents.ContainsKey((head.Sequence, seed)) ? 0 : 1);
        var parent = _parents.GetOrAdd((head.Sequence, seed), _ => objective.Measure(text, seed));
        await Task.Delay(runTime * runs, cancellationToken).ConfigureAwait(false);
        return new Verification(true, parent, objective.Measure(candidate, seed),
            holdout ? objective.Measure(text, seed, holdout: true) : null, holdout ? objective.Measure(candidate, seed, holdout: true) : null,
            Digest(candidate, seed), runs);
    }

    public virtual async Task<Measurement> MeasureAsync(HeadSnapshot head, int seed, CancellationToken cancellationToken = default)
    {
        var text = HeadText(head);
        var metric = _parents.GetOrAdd((head.Sequence, seed), _ => objective.Measure(text, seed));
        await Task.Delay(runTime, cancellationToken).ConfigureAwait(false);
        return new Measurement(metric, Digest(text, seed), 1);
    }

    /// <summary>A random step on one knob of <paramref name="text"/>.</summary>
    protected (string Patch, string Description) Propose(string text)
    {
        var knob = Random.Next(objective.KnobCount);
        var x = SyntheticObjective.Parse(text);
        double step;
        lock (Random)
        {
            step = (Random.NextDouble() - 0.5) * 0.4;
        }

        var value = Math.Round(x[knob] + step, 6);
        return (SyntheticObjective.Patch(text, knob, value), $"k{knob} {x[knob]:0.###} -> {value:0.###}");
    }

    /// <summary>The head's params.txt: the base with the chain's patches applied in order (cached per sequence).</summary>
    protected string HeadText(HeadSnapshot head) =>
        _heads.GetOrAdd(head.Sequence, _ =>
        {
            var text = objective.Base;
            foreach (var link in head.Chain)
            {
                text = SyntheticObjective.Apply(text, link.Patch) ?? text;
            }

            return text;
        });

    protected static string Digest(string text, int seed) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}|{text}")));
}
