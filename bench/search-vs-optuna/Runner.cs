using AutoResearch.Core.Proposers.Search;

namespace SearchVsOptuna;

/// <summary>
/// Runs one method on one problem with one seed and returns two traces, after each evaluation: the best noiseless
/// value among the points evaluated so far (simple regret's incumbent), and the noiseless value of the point with
/// the best noisy value (what a user who trusts the observations would pick). Every method gets the same first
/// point (the seed's "current configuration") and the same noise stream.
/// </summary>
internal static class Runner
{
    /// <summary>Every method, in report order; <c>ours-dense</c> is ours with its earlier design (every coordinate moving
    /// at once from the first suggestion), kept to measure the few-moves-first schedule against.</summary>
    public static readonly string[] Methods = ["ours", "ours-dense", "tpe", "mtpe", "random"];

    /// <summary>The methods run when <c>--methods</c> is not given.</summary>
    public static readonly string[] Default = ["ours", "tpe", "mtpe", "random"];

    public static (double[] Best, double[] Picked) Run(Problem problem, string method, int seed, int budget, OptunaStudy? optuna, BayesianOptimizerOptions options)
    {
        var parameters = problem.Parameters;
        var noise = new Random(StableHash(problem.Name) ^ (seed * 7919));
        var startRandom = new Random(StableHash(problem.Family) ^ (seed * 104_729));
        var start = parameters.Select(p => p.FromUnit(startRandom.NextDouble())).ToArray();
        var trace = new double[budget];
        var picked = new double[budget];
        var bestNoisy = double.PositiveInfinity;
        var bestTruth = double.PositiveInfinity;
        var incumbent = double.NaN;

        double Evaluate(double[] values, int t)
        {
            var truth = problem.Objective(values);
            var observed = truth + (problem.NoiseSd * Gaussian(noise));
            if (observed < bestNoisy)
            {
                bestNoisy = observed;
                incumbent = truth;
            }

            bestTruth = Math.Min(bestTruth, truth);
            trace[t] = bestTruth;
            picked[t] = incumbent;
            return observed;
        }

        if (method is "ours" or "ours-dense")
        {
            var optimizer = new BayesianOptimizer(
                parameters.Select(p => new SearchDimension(p.Levels)).ToList(), method == "ours" ? options : options with { FewMovesFirst = false });
            var observations = new List<Observation>();
            for (var t = 0; t < budget; t++)
            {
                var unit = t == 0 ? parameters.Select((p, i) => p.ToUnit(start[i])).ToArray() : optimizer.Suggest(observations, seed);
                var values = parameters.Select((p, i) => p.FromUnit(unit[i])).ToArray();
                var y = Evaluate(values, t);
                // The model learns from the point actually evaluated (integers rounded).
                observations.Add(new Observation(parameters.Select((p, i) => p.ToUnit(values[i])).ToArray(), y));
            }

            return (trace, picked);
        }

        ArgumentNullException.ThrowIfNull(optuna);
        optuna.New(method, seed, parameters, start);
        for (var t = 0; t < budget; t++)
        {
            var (number, values) = optuna.Ask(parameters);
            optuna.Tell(number, Evaluate(values, t));
        }

        return (trace, picked);
    }

    /// <summary>A hash that is the same in every process (string.GetHashCode is salted per process).</summary>
    public static int StableHash(string text)
    {
        var h = 2166136261u;
        foreach (var c in text)
        {
            h = (h ^ c) * 16777619u;
        }

        return (int)(h & 0x7fffffff);
    }

    private static double Gaussian(Random random)
    {
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
