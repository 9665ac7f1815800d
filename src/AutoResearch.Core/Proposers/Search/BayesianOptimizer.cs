namespace AutoResearch.Core.Proposers.Search;

/// <summary>
/// Bayesian optimisation for 10 to 200 noisy evaluations, minimising over the unit cube: after a short Latin
/// hypercube design (10 points, the first usually the current configuration), a Gaussian process
/// (<see cref="GaussianProcess"/>: Matérn-5/2 with a lengthscale per coordinate and a learned noise term) is fitted to
/// power-transformed targets, and the next point maximises the log expected improvement over the best posterior mean
/// of the points seen (robust to noise), searched by random candidates, perturbations of the best points scaled by
/// the fitted lengthscales, a few uniform ones, and a refinement round around the best candidates. Failed evaluations count as the worst
/// value seen. A suggestion depends only on the observations and the seed (unless
/// <see cref="BayesianOptimizerOptions.WarmStart"/>), so replaying a history replays the search.
/// With <see cref="BayesianOptimizerOptions.FewMovesFirst"/> (the default) a suggestion differs from the current point in
/// few coordinates early on: the design moves one coordinate at a time, then two, each taking its turn, and the model's
/// suggestions may move two, then one more every <see cref="WidenEvery"/> evaluations, so an improvement can be
/// credited to what changed.
/// </summary>
public sealed class BayesianOptimizer
{
    private readonly SearchDimension[] _dimensions;
    private readonly BayesianOptimizerOptions _options;
    private double[]? _previousTheta;

    /// <exception cref="ArgumentException">No dimensions, or invalid options.</exception>
    public BayesianOptimizer(IReadOnlyList<SearchDimension> dimensions, BayesianOptimizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Count == 0)
        {
            throw new ArgumentException("at least one dimension is needed", nameof(dimensions));
        }

        _dimensions = [.. dimensions];
        _options = options ?? new BayesianOptimizerOptions();
        _options.Validate();
    }

    /// <summary>Evaluations after the design between two widenings of the number of coordinates a suggestion may move.</summary>
    public const int WidenEvery = 4;

    /// <summary>The next point to evaluate, in [0, 1] per dimension, discrete coordinates on their levels.</summary>
    /// <param name="observations">Every evaluation so far, in order.</param>
    /// <param name="seed">Fixes the design and the candidates; the same observations and seed give the same point.</param>
    /// <param name="current">The point a suggestion moves from (the configuration the change is made to); null: the
    /// evaluated point with the best value, else the first.</param>
    public double[] Suggest(IReadOnlyList<Observation> observations, int seed, IReadOnlyList<double>? current = null)
    {
        ArgumentNullException.ThrowIfNull(observations);
        var d = _dimensions.Length;
        var n = observations.Count;
        if (current is not null && current.Count != d)
        {
            throw new ArgumentException($"the current point has {current.Count} coordinates, not {d}", nameof(current));
        }

        var random = new Random(unchecked((seed * 1_000_003) + (n * 7919) + 17));
        var valid = observations.Where(o => o.Value is { } v && double.IsFinite(v)).Select(o => o.Value!.Value).ToList();
        var reference = current?.ToArray() ?? Reference(observations);
        if (n < _options.InitialPoints || valid.Count < 2)
        {
            var design = LatinHypercube(Math.Max(_options.InitialPoints, n + 1), new Random(seed));
            var row = design[Math.Min(n, design.Length - 1)];
            return _options.FewMovesFirst && reference is not null && n > 0 ? DesignMove(row, reference, n, seed) : Snap(row);
        }

        var worst = valid.Max();
        var x = new double[n * d];
        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < d; j++)
            {
                x[(i * d) + j] = observations[i].Point[j];
            }

            y[i] = observations[i].Value is { } v && double.IsFinite(v) ? v : worst;
        }

        var targets = WarpTargets(y);
        var gp = new GaussianProcess(x, targets, d);
        var starts = new List<double[]> { GaussianProcess.DefaultTheta(d) };
        if (_options.WarmStart && _previousTheta is { } previous && previous.Length == d + 2)
        {
            starts.Add(previous);
        }

        for (var r = 0; r < _options.Restarts; r++)
        {
            var theta = GaussianProcess.DefaultTheta(d);
            for (var j = 0; j < d; j++)
            {
                theta[j] = Math.Log(0.5) + Gaussian(random);
            }

            theta[d + 1] = Math.Log(1e-3) + (2 * Gaussian(random));
            starts.Add(theta);
        }

        gp.Fit(starts, _options.FitIterations);
        _previousTheta = (double[])gp.Theta.Clone();
        var moves = _options.FewMovesFirst && reference is not null ? 2 + ((n - _options.InitialPoints) / WidenEvery) : d;
        return MaximizeAcquisition(gp, x, n, random, moves < d ? reference : null, moves);
    }

    /// <summary>The most coordinates the design's <paramref name="n"/>-th point moves: 1 for the first half, then 2.</summary>
    private int DesignMoves(int n) => n - 1 < DesignSingles ? 1 : 2;

    private int DesignSingles => Math.Max(1, (_options.InitialPoints - 1) / 2);

    /// <summary>
    /// The design's <paramref name="n"/>-th point as a move from <paramref name="reference"/>: one or two coordinates,
    /// taken in a seeded order so that each gets its turn, set to the Latin hypercube row's values (at least 0.15 away).
    /// </summary>
    private double[] DesignMove(double[] row, double[] reference, int n, int seed)
    {
        var d = _dimensions.Length;
        var order = Enumerable.Range(0, d).ToArray();
        new Random(unchecked(seed ^ 0x5eed)).Shuffle(order);
        var p = n - 1;
        var cursor = p < DesignSingles ? p : DesignSingles + (2 * (p - DesignSingles));
        var point = Snap((double[])reference.Clone());
        for (var t = 0; t < Math.Min(DesignMoves(n), d); t++)
        {
            var j = order[(cursor + t) % d];
            var value = Math.Abs(row[j] - reference[j]) < 0.15 ? (row[j] + 0.5) % 1 : row[j];
            point[j] = _dimensions[j].Snap(value);
            if (Math.Abs(point[j] - reference[j]) < 1e-9)
            {
                // A coarse level snapped back onto the current value: take the level on the other side.
                point[j] = _dimensions[j].Snap(reference[j] < 0.5 ? 1 : 0);
            }
        }

        return point;
    }

    /// <summary>The evaluated point with the best value (the first when none has one); null with no observations.</summary>
    private static double[]? Reference(IReadOnlyList<Observation> observations)
    {
        Observation? best = null;
        foreach (var o in observations)
        {
            if (o.Value is { } v && double.IsFinite(v) && (best?.Value is not { } b || v < b))
            {
                best = o;
            }
        }

        return (best ?? observations.FirstOrDefault())?.Point.ToArray();
    }

    /// <summary>
    /// Keeps at most <paramref name="moves"/> coordinates of <paramref name="point"/> away from
    /// <paramref name="reference"/> (those that moved furthest, relative to their lengthscale) and puts the rest back.
    /// </summary>
    private static void Limit(double[] point, double[]? reference, int moves, double[] shape)
    {
        if (reference is null)
        {
            return;
        }

        var moved = Enumerable.Range(0, point.Length).Where(j => Math.Abs(point[j] - reference[j]) > 1e-9).ToList();
        if (moved.Count <= moves)
        {
            return;
        }

        foreach (var j in moved.OrderByDescending(j => Math.Abs(point[j] - reference[j]) / shape[j]).Skip(moves))
        {
            point[j] = reference[j];
        }
    }

    private double[] MaximizeAcquisition(GaussianProcess gp, double[] x, int n, Random random, double[]? reference, int moves)
    {
        var d = _dimensions.Length;
        var scratch = new double[n];

        // Incumbent: the lowest posterior mean at an evaluated point (noise-robust), and the best points to move from.
        var means = new double[n];
        for (var i = 0; i < n; i++)
        {
            means[i] = gp.Predict(x.AsSpan(i * d, d), scratch).Mean;
        }

        var order = Enumerable.Range(0, n).OrderBy(i => means[i]).ToArray();
        var best = means[order[0]];
        var centers = order.Take(Math.Min(5, n)).ToArray();

        // Lengthscales relative to their geometric mean shape the local steps.
        var logMean = 0.0;
        for (var j = 0; j < d; j++)
        {
            logMean += gp.Theta[j] / d;
        }

        var shape = new double[d];
        for (var j = 0; j < d; j++)
        {
            shape[j] = Math.Clamp(Math.Exp(gp.Theta[j] - logMean), 0.2, 5);
        }

        var total = _options.Candidates;
        // Few global candidates: far from the data the variance alone wins EI, and in a few dimensions that means the
        // corners of the cube; the local and refined candidates carry the search.
        var globalCount = total / 20;
        var localCount = total / 2;
        var refineCount = total - globalCount - localCount;
        var points = new double[(globalCount + localCount) * d];
        var scores = new double[globalCount + localCount];
        var point = new double[d];
        for (var c = 0; c < globalCount + localCount; c++)
        {
            if (c < globalCount)
            {
                for (var j = 0; j < d; j++)
                {
                    point[j] = random.NextDouble();
                }
            }
            else
            {
                var center = centers[random.NextDouble() < 0.5 ? 0 : random.Next(centers.Length)];
                Perturb(x.AsSpan(center * d, d), point, shape, random);
            }

            SnapInPlace(point);
            Limit(point, reference, moves, shape);
            point.CopyTo(points, c * d);
            var (mean, sd) = gp.Predict(point, scratch);
            scores[c] = NormalDistribution.LogExpectedImprovement(best, mean, sd);
        }

        // Refine around the best few candidates with smaller steps.
        var top = Enumerable.Range(0, scores.Length).OrderByDescending(c => scores[c]).Take(5).ToArray();
        var bestPoint = new double[d];
        var bestScore = double.NegativeInfinity;
        foreach (var c in top)
        {
            if (scores[c] > bestScore && !Seen(points.AsSpan(c * d, d), x, n))
            {
                bestScore = scores[c];
                points.AsSpan(c * d, d).CopyTo(bestPoint);
            }
        }

        var refined = new double[d];
        for (var r = 0; r < refineCount; r++)
        {
            var from = top[r % top.Length];
            var scale = Math.Exp(Math.Log(0.002) + (random.NextDouble() * Math.Log(25)));
            for (var j = 0; j < d; j++)
            {
                refined[j] = points[(from * d) + j] + (scale * shape[j] * Gaussian(random));
            }

            SnapInPlace(refined);
            Limit(refined, reference, moves, shape);
            var (mean, sd) = gp.Predict(refined, scratch);
            var score = NormalDistribution.LogExpectedImprovement(best, mean, sd);
            if (score > bestScore && !Seen(refined, x, n))
            {
                bestScore = score;
                refined.CopyTo(bestPoint, 0);
            }
        }

        if (double.IsNegativeInfinity(bestScore))
        {
            // Every candidate repeats an evaluated point (a small discrete space): take a random one.
            for (var j = 0; j < d; j++)
            {
                bestPoint[j] = random.NextDouble();
            }

            SnapInPlace(bestPoint);
            Limit(bestPoint, reference, moves, shape);
        }

        return bestPoint;
    }

    /// <summary>A step from <paramref name="center"/>: all coordinates at a random scale, or one or two of them.</summary>
    private static void Perturb(ReadOnlySpan<double> center, double[] point, double[] shape, Random random)
    {
        var d = point.Length;
        center.CopyTo(point);
        if (d > 2 && random.NextDouble() < 0.3)
        {
            var moves = random.NextDouble() < 0.5 ? 1 : 2;
            for (var m = 0; m < moves; m++)
            {
                var j = random.Next(d);
                point[j] += 0.2 * Gaussian(random);
            }

            return;
        }

        var scale = Math.Exp(Math.Log(0.005) + (random.NextDouble() * Math.Log(60)));
        for (var j = 0; j < d; j++)
        {
            point[j] += scale * shape[j] * Gaussian(random);
        }
    }

    private static bool Seen(ReadOnlySpan<double> point, double[] x, int n)
    {
        var d = point.Length;
        for (var i = 0; i < n; i++)
        {
            var same = true;
            for (var j = 0; j < d && same; j++)
            {
                same = Math.Abs(point[j] - x[(i * d) + j]) < 1e-9;
            }

            if (same)
            {
                return true;
            }
        }

        return false;
    }

    private double[] Snap(double[] point)
    {
        SnapInPlace(point);
        return point;
    }

    private void SnapInPlace(double[] point)
    {
        for (var j = 0; j < point.Length; j++)
        {
            point[j] = _dimensions[j].Snap(point[j]);
        }
    }

    private double[][] LatinHypercube(int count, Random random)
    {
        var d = _dimensions.Length;
        var design = new double[count][];
        for (var i = 0; i < count; i++)
        {
            design[i] = new double[d];
        }

        for (var j = 0; j < d; j++)
        {
            var strata = Enumerable.Range(0, count).ToArray();
            random.Shuffle(strata);
            for (var i = 0; i < count; i++)
            {
                design[i][j] = (strata[i] + random.NextDouble()) / count;
            }
        }

        return design;
    }

    /// <summary>
    /// Standardises the targets, then applies the Yeo-Johnson power transform whose λ (on a grid) makes them most
    /// Gaussian, and standardises again: heavy tails (Rosenbrock's, a diverging run's loss) stop dominating the fit.
    /// </summary>
    internal static double[] WarpTargets(double[] y)
    {
        var n = y.Length;
        var z = Standardize(y);
        var best = z;
        var bestLikelihood = double.NegativeInfinity;
        var jacobian = 0.0;
        for (var i = 0; i < n; i++)
        {
            jacobian += Math.Sign(z[i]) * Math.Log(Math.Abs(z[i]) + 1);
        }

        for (var lambda = -1.0; lambda <= 2.0001; lambda += 0.25)
        {
            var t = new double[n];
            for (var i = 0; i < n; i++)
            {
                t[i] = YeoJohnson(z[i], lambda);
            }

            var mean = t.Average();
            var variance = t.Sum(v => (v - mean) * (v - mean)) / n;
            if (variance <= 0 || !double.IsFinite(variance))
            {
                continue;
            }

            var likelihood = (-0.5 * n * Math.Log(variance)) + ((lambda - 1) * jacobian);
            if (likelihood > bestLikelihood)
            {
                bestLikelihood = likelihood;
                best = t;
            }
        }

        return Standardize(best);
    }

    private static double YeoJohnson(double v, double lambda)
    {
        if (v >= 0)
        {
            return Math.Abs(lambda) < 1e-9 ? Math.Log(v + 1) : (Math.Pow(v + 1, lambda) - 1) / lambda;
        }

        return Math.Abs(lambda - 2) < 1e-9 ? -Math.Log(1 - v) : -(Math.Pow(1 - v, 2 - lambda) - 1) / (2 - lambda);
    }

    private static double[] Standardize(double[] y)
    {
        var mean = y.Average();
        var sd = Math.Sqrt(y.Sum(v => (v - mean) * (v - mean)) / y.Length);
        return sd > 0 ? y.Select(v => (v - mean) / sd).ToArray() : new double[y.Length];
    }

    private static double Gaussian(Random random)
    {
        // Box-Muller; 1 − u keeps the logarithm's argument in (0, 1].
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
