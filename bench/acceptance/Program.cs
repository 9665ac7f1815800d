// bench/acceptance: the noise-aware acceptance rule against the naive one ("keep if lower") on a synthetic landscape
// whose truth is known. Each trial: a random quadratic bowl over 8 knobs in [0, 1] (true val_bpb = 3.0 + Σ w·(x - o)²),
// a random start, and 200 proposals that move 1 to 3 knobs of the current best by a Gaussian step (as the search proposer
// does), one in ten a no-op (a "seed 42 -> 137" change: zero true effect). Every run measures truth + N(0, σ).
// The rules decide with the same code the loop uses (AcceptanceRule, Noise). Output: a markdown table.
using System.Globalization;
using System.Text.RegularExpressions;
using AutoResearch.Core.Acceptance;
using AutoResearch.Core.Spec;

var inv = CultureInfo.InvariantCulture;
var trials = args.Length > 0 ? int.Parse(args[0], inv) : 1000;
const int Proposals = 200;
const int Knobs = 8;
var objective = new ObjectiveSpec("val_bpb", Direction.Minimize, new Regex("x", RegexOptions.None, TimeSpan.FromSeconds(1)));

var rules = new List<(string Name, AcceptanceSpec? Spec)>
{
    ("naive: keep if lower (1 baseline run)", null),
    ("ours: 3 baseline runs, z = 2, confirm", new AcceptanceSpec { BaselineRepeats = 3, Z = 2 }),
    ("ours: 5 baseline runs, z = 2, confirm", new AcceptanceSpec { BaselineRepeats = 5, Z = 2 }),
    ("ours: 3 baseline runs, z = 1.5, confirm", new AcceptanceSpec { BaselineRepeats = 3, Z = 1.5 }),
    ("ours: 3 baseline runs, z = 2, no confirm", new AcceptanceSpec { BaselineRepeats = 3, Z = 2, Confirm = false }),
    ("ours: 3 baseline runs, z = 2, 2 confirm runs (σ refreshed)", new AcceptanceSpec { BaselineRepeats = 3, Z = 2, ConfirmRuns = 2 }),
    ("ours: σ known exactly, z = 2, confirm", new AcceptanceSpec { Z = 2 }),
};

Console.WriteLine($"trials: {trials} landscapes x {Proposals} proposals each; 8 knobs; steps 0.1 in unit space; 10% no-op proposals");
Console.WriteLine();
Console.WriteLine("| noise σ | rule | kept / trial | false keeps (truly worse) | true gain (mean ± sd) | gain vs naive (± se) | runs / trial |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (var sigma in new[] { 0.005, 0.01, 0.02 })
{
    double? naiveGain = null;
    List<double>? naiveGains = null;
    foreach (var (name, spec) in rules)
    {
        var results = Enumerable.Range(0, trials).Select(t => Simulate(spec, sigma, t)).ToList();
        var kept = results.Sum(r => r.Kept);
        var falseKept = results.Sum(r => r.FalseKept);
        var gains = results.Select(r => r.Gain).ToList();
        var mean = gains.Average();
        var sd = Math.Sqrt(gains.Sum(g => (g - mean) * (g - mean)) / (gains.Count - 1));
        // The standard error of the gain ratio, from the per-trial paired differences with the naive rule.
        naiveGains ??= gains;
        var differences = gains.Zip(naiveGains, (g, n) => g - n).ToList();
        var meanDifference = differences.Average();
        var se = Math.Sqrt(differences.Sum(d => (d - meanDifference) * (d - meanDifference)) / (differences.Count - 1) / differences.Count);
        naiveGain ??= mean;
        Console.WriteLine(string.Create(inv,
            $"| {sigma} | {name} | {kept / (double)trials:0.0} | {falseKept / (double)Math.Max(1, kept):P1} ({falseKept}/{kept}) | {mean:0.0000} ± {sd:0.0000} | {mean / naiveGain.Value:P0} ± {se / naiveGain.Value:P0} | {results.Average(r => r.Runs):0} |"));
    }
}

(double Gain, int Kept, int FalseKept, int Runs) Simulate(AcceptanceSpec? spec, double sigma, int trial)
{
    // The landscape, the proposals and the noise stream depend only on the trial (common random numbers: every rule meets
    // the same landscapes and the same noise draws, in the order it asks for them).
    var world = new Random(1000 + trial);
    var noise = new Random((trial * 7919) + 17);
    var weights = Enumerable.Range(0, Knobs).Select(_ => 0.05 + (0.45 * world.NextDouble())).ToArray();
    var optimum = Enumerable.Range(0, Knobs).Select(_ => world.NextDouble()).ToArray();
    double Truth(double[] x) => 3.0 + x.Select((v, k) => weights[k] * (v - optimum[k]) * (v - optimum[k])).Sum();
    double Measure(double[] x) => Truth(x) + (sigma * Gaussian(noise));

    var current = Enumerable.Range(0, Knobs).Select(_ => world.NextDouble()).ToArray();
    var start = Truth(current);
    var repeats = spec?.BaselineRepeats ?? 1;
    var baselineRuns = Enumerable.Range(0, repeats).Select(_ => Measure(current)).ToList();
    var best = baselineRuns.Average();
    // σ from the runs not selected on their outcome, as the loop pools them: the baseline's, then confirmation runs.
    var groups = new List<IReadOnlyList<double>> { baselineRuns };
    var known = spec is { BaselineRepeats: 1 };
    NoiseEstimate Estimate() => known ? new NoiseEstimate(sigma, int.MaxValue) : Noise.Estimate(groups) ?? new NoiseEstimate(0, 0);
    var estimate = Estimate();
    int kept = 0, falseKept = 0, runs = repeats;
    for (var p = 0; p < Proposals; p++)
    {
        var candidate = (double[])current.Clone();
        if (world.NextDouble() >= 0.1)
        {
            var moves = world.NextDouble() switch { < 0.6 => 1, < 0.9 => 2, _ => 3 };
            for (var m = 0; m < moves; m++)
            {
                var k = world.Next(Knobs);
                candidate[k] = Math.Clamp(candidate[k] + (0.1 * Gaussian(world)), 0, 1);
            }
        }

        var values = new List<double> { Measure(candidate) };
        runs++;
        bool keep;
        if (spec is null)
        {
            keep = values[0] < best;
        }
        else
        {
            var verdict = AcceptanceRule.Decide(spec, objective, estimate.Sigma, best, values, netDeletion: false, estimate.Degrees);
            while (verdict.Outcome == VerdictOutcome.Confirm)
            {
                values.Add(Measure(candidate));
                runs++;
                if (values.Count >= 3)
                {
                    groups.Add(values.Skip(1).ToList());
                    estimate = Estimate();
                }

                verdict = AcceptanceRule.Decide(spec, objective, estimate.Sigma, best, values, netDeletion: false, estimate.Degrees);
            }

            keep = verdict.Outcome == VerdictOutcome.Keep;
        }

        if (keep)
        {
            kept++;
            falseKept += Truth(candidate) > Truth(current) ? 1 : 0;
            current = candidate;
            best = values.Average();
        }
    }

    return (start - Truth(current), kept, falseKept, runs);
}

static double Gaussian(Random random) =>
    Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
