using System.Diagnostics;
using AutoResearch.Core.Spec;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Simulator;

public sealed partial class Simulation
{
    /// <summary>
    /// One worker alone (<c>--workers 1</c>): the same engine, objective and acceptance rule, keeping its own wins with nobody to
    /// verify them, as <c>autoresearch run</c> does on one machine. The baseline the scaling curve's speed-ups are measured against.
    /// </summary>
    private async Task<SimulationReport> SoloAsync(ResearchSpec spec, SyntheticObjective objective, CancellationToken cancellationToken)
    {
        output.WriteLine(string.Create(_inv,
            $"swarm simulate: 1 worker alone (no coordinator, no verification: the baseline), {options.Duration.TotalMinutes:0.##} min, run {options.RunTime.TotalMilliseconds:0} ms, σ {options.Sigma}"));
        var engine = new SyntheticEngine(objective, spec, options.RunTime, options.Seed * 7919);
        var seeds = new Random(options.Seed);
        var chain = new List<ChainLink>();
        var series = new List<(double Seconds, double Loss)>();
        var text = objective.Base;
        var baseLoss = objective.TrueLoss(text);
        var seed = seeds.Next();
        double runs = 0;
        long explorations = 0, claims = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(options.Duration);
        var clock = Stopwatch.StartNew();
        while (!stop.IsCancellationRequested)
        {
            Exploration found;
            try
            {
                found = await engine.ExploreAsync(new HeadSnapshot(chain.Count, "", "", chain), seed, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The time is up in the middle of a run: it does not count.
                break;
            }

            explorations++;
            runs += found.Runs;
            if (found is { Win: true, Patch: { } patch, CandidateMetric: { } metric })
            {
                claims++;
                text = SyntheticObjective.Apply(text, patch) ?? text;
                chain.Add(new ChainLink(chain.Count + 1, "", 0, "solo", patch, metric, found.ParentMetric!.Value - metric, found.Description, DateTimeOffset.UtcNow));
                series.Add((clock.Elapsed.TotalSeconds, objective.TrueLoss(text)));
                // A new head is measured at a new seed, as the coordinator draws one per head.
                seed = seeds.Next();
            }
        }

        var report = new SimulationReport(chain.Count, baseLoss, objective.TrueLoss(text), 0, 0, 0, 0, [], [], default, [], default)
        {
            ExploreRuns = runs,
            Series = series,
            Claims = claims,
            Explorations = explorations,
            Seconds = clock.Elapsed.TotalSeconds,
        };
        output.WriteLine();
        output.WriteLine(string.Create(_inv,
            $"alone: {chain.Count} kept, true loss {baseLoss:0.000000} -> {report.HeadLoss:0.000000}; explorations {explorations}, runs {runs:0}"));
        output.WriteLine(report.LastLine);
        return report;
    }

    /// <summary>The head's true loss after each link of the chain, at the second (from <paramref name="start"/>) it was accepted.</summary>
    private static async Task<(List<(double Seconds, double Loss)> Series, List<DateTimeOffset> AcceptedAt)> SeriesAsync(
        SwarmClient reader, SyntheticObjective objective, DateTimeOffset start, CancellationToken cancellationToken)
    {
        var text = objective.Base;
        var series = new List<(double, double)>();
        var accepted = new List<DateTimeOffset>();
        long after = 0;
        while (true)
        {
            var links = await reader.ChainAsync(after, cancellationToken).ConfigureAwait(false);
            if (links.Count == 0)
            {
                return (series, accepted);
            }

            foreach (var link in links)
            {
                text = SyntheticObjective.Apply(text, link.Patch) ?? text;
                series.Add(((link.AcceptedAt - start).TotalSeconds, objective.TrueLoss(text)));
                accepted.Add(link.AcceptedAt);
            }

            after = links[^1].Sequence;
        }
    }

    /// <summary>
    /// The explorations in the shared log, and how many of them were stale on arrival: reported after the chain had already
    /// moved past the head they were run on (their win, if any, can only land after a rebase).
    /// </summary>
    private static async Task<(long Explorations, long Stale)> StalenessAsync(SwarmClient reader, IReadOnlyList<DateTimeOffset> acceptedAt, CancellationToken cancellationToken)
    {
        long explorations = 0, stale = 0, after = 0;
        while (true)
        {
            var page = await reader.ExperimentsAsync(after, 500, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                return (explorations, stale);
            }

            foreach (var entry in page)
            {
                explorations++;
                // Link HeadSequence + 1 (index HeadSequence) is the one that made this head stale.
                if (entry.HeadSequence < acceptedAt.Count && acceptedAt[(int)entry.HeadSequence] <= entry.At)
                {
                    stale++;
                }
            }

            after = page[^1].Id;
        }
    }
}
