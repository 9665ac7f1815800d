// bench/early-stop: replays the early-stopping rule offline on learning curves recorded by a run with early stopping off.
// Usage: dotnet run --project bench/early-stop -c Release -- LEDGER.db TAG [curves.json]
// Walks the run's candidates in order; each is compared with the best at its time (as the run decided), using the curve
// noise of the baseline's repeated runs, exactly as the loop would (EarlyStopRule, Noise). A stopped candidate saves the
// rest of its run time (its wall time × the unfinished fraction). "Wrongly stopped" = stopped, yet the run kept it.
// With a third argument, writes the curves (small JSON) so they can be committed beside the results.
using System.Globalization;
using System.Text.Json;
using AutoResearch.Core.Acceptance;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using AutoResearch.Core.Spec;

var inv = CultureInfo.InvariantCulture;
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: EarlyStopReplay LEDGER.db TAG [curves.json]");
    return 2;
}

using var ledger = Ledger.Open(args[0]);
var experiments = ledger.Experiments(args[1]).Where(e => e.Phase == ExperimentPhase.Done).ToList();
var baseline = experiments.FirstOrDefault(e => e.IsBaseline) ?? throw new InvalidOperationException($"run {args[1]} has no baseline");
var candidates = experiments.Where(e => !e.IsBaseline && e.Status is ExperimentStatus.Keep or ExperimentStatus.Discard && e.Curve.Count > 0).ToList();
if (args.Length > 2)
{
    var export = experiments.Select(e => new
    {
        e.Seq,
        Status = e.Status is { } s ? Ledger.Name(s) : null,
        e.Metric,
        e.RunSeconds,
        e.Description,
        Runs = (e.Runs.Count > 0 ? e.Runs.Select(r => r.Curve) : [e.Curve]).Select(c => c.Select(p => new[] { p.Progress, p.Value })),
    });
    File.WriteAllText(args[2], JsonSerializer.Serialize(export));
}

Console.WriteLine(string.Create(inv, $"run {args[1]}: {candidates.Count} candidates run to completion ({candidates.Count(e => e.Status == ExperimentStatus.Keep)} kept), baseline of {Math.Max(1, baseline.Runs.Count)} run(s)"));
Console.WriteLine();
var timeouts = experiments.Where(e => !e.IsBaseline && e.Status == ExperimentStatus.Timeout).ToList();
var candidateSeconds = candidates.Sum(e => e.Runs.Count > 0 ? e.Runs[0].Seconds : e.RunSeconds ?? 0);
var timeoutSeconds = timeouts.Sum(e => e.RunSeconds ?? 0);
Console.WriteLine(string.Create(inv,
    $"besides them: {timeouts.Count} candidates timed out ({timeoutSeconds:0} s, against {candidateSeconds:0} s for the completed ones; they have no final metric, so the table leaves them out)"));
Console.WriteLine();
Console.WriteLine("| min_fraction | z | min_points | stopped | compute saved | kept but stopped (wrongly) | finished ahead of the best but stopped |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (var minFraction in new[] { 0.2, 0.3, 0.5 })
{
    foreach (var z in new[] { 2.0, 3.0, 4.0 })
    {
        foreach (var minPoints in new[] { 1, 2 })
        {
            var spec = new EarlyStopSpec { Enabled = true, MinFraction = minFraction, Z = z, MinPoints = minPoints };
            var groups = experiments.Select(e => e.IsBaseline ? e.Runs : e.Runs.Skip(1).ToList()).Where(r => r.Count >= 2)
                .Select(r => (IReadOnlyList<IReadOnlyList<CurvePoint>>)r.Select(m => m.Curve).ToList()).ToList();
            var metricGroups = experiments.Select(e => e.IsBaseline ? e.Runs : e.Runs.Skip(1).ToList()).Where(r => r.Count >= 2)
                .Select(r => (IReadOnlyList<double>)r.Select(m => m.Value).ToList());
            var sigma = Noise.CurveSigma(groups, minFraction * 100) ?? Noise.Sigma(metricGroups) ?? 0;
            var best = baseline;
            double total = 0, saved = 0;
            int stopped = 0, wrong = 0, kept = 0, ahead = 0, aheadStopped = 0;
            foreach (var e in candidates)
            {
                var curves = best.Runs.Count > 0 ? best.Runs.Select(r => r.Curve).Where(c => c.Count > 0).ToList() : [best.Curve];
                var rule = new EarlyStopRule(spec, Noise.MeanCurve(curves), sigma);
                var seconds = e.Runs.Count > 0 ? e.Runs[0].Seconds : e.RunSeconds ?? 0;
                total += seconds;
                var stopAt = e.Curve.FirstOrDefault(rule.Observe);
                // A stricter count than the keeps: every candidate whose final value beat the best's, by any margin
                // (lower is better: the bench replays tinygpt's val_bpb).
                var finishedAhead = e.Metric < best.Metric;
                ahead += finishedAhead ? 1 : 0;
                if (stopAt is not null)
                {
                    stopped++;
                    saved += seconds * (1 - (stopAt.Progress / 100));
                    wrong += e.Status == ExperimentStatus.Keep ? 1 : 0;
                    aheadStopped += finishedAhead ? 1 : 0;
                }

                if (e.Status == ExperimentStatus.Keep)
                {
                    kept++;
                    best = e;
                }
            }

            Console.WriteLine(string.Create(inv,
                $"| {minFraction:0.0} | {z:0.#} | {minPoints} | {stopped}/{candidates.Count} | {saved / Math.Max(total, 1e-9):P1} | {wrong}/{kept} ({wrong / (double)Math.Max(1, kept):P0}) | {aheadStopped}/{ahead} |"));
        }
    }
}

// The hindsight bound: the most any rule that stops on the gap to the best's curve could save without stopping a keep.
// At each progress point from min_fraction on, the bar is the largest gap any kept candidate showed there; a candidate is
// stopped at the first point where its gap is above that bar. No rule that sees only the gaps can do better.
Console.WriteLine();
Console.WriteLine("Hindsight bound (knowing which candidates the run kept):");
Console.WriteLine();
Console.WriteLine("| min_fraction | stopped | compute saved |");
Console.WriteLine("|---|---|---|");
foreach (var minFraction in new[] { 0.2, 0.3, 0.5 })
{
    var gaps = new List<(ExperimentRecord Candidate, List<(double Progress, double Gap)> Gaps)>();
    var best = baseline;
    foreach (var e in candidates)
    {
        var curves = best.Runs.Count > 0 ? best.Runs.Select(r => r.Curve).Where(c => c.Count > 0).ToList() : [best.Curve];
        var incumbent = Noise.MeanCurve(curves);
        var series = e.Curve.Where(p => p.Progress >= minFraction * 100)
            .Select(p => (p.Progress, Best: Noise.Interpolate(incumbent, p.Progress)))
            .Where(p => p.Best is not null)
            .Select(p => (p.Progress, e.Curve.First(q => q.Progress == p.Progress).Value - p.Best!.Value))
            .ToList();
        gaps.Add((e, series));
        if (e.Status == ExperimentStatus.Keep)
        {
            best = e;
        }
    }

    var bar = gaps.Where(g => g.Candidate.Status == ExperimentStatus.Keep).SelectMany(g => g.Gaps)
        .GroupBy(g => g.Progress).ToDictionary(g => g.Key, g => g.Max(x => x.Gap));
    double total = 0, saved = 0;
    var stopped = 0;
    foreach (var (e, series) in gaps)
    {
        var seconds = e.Runs.Count > 0 ? e.Runs[0].Seconds : e.RunSeconds ?? 0;
        total += seconds;
        var at = series.FirstOrDefault(g => g.Gap > bar.GetValueOrDefault(g.Progress, double.PositiveInfinity));
        if (at != default)
        {
            stopped++;
            saved += seconds * (1 - (at.Progress / 100));
        }
    }

    Console.WriteLine(string.Create(inv, $"| {minFraction:0.0} | {stopped}/{candidates.Count} | {saved / Math.Max(total, 1e-9):P1} |"));
}

return 0;
