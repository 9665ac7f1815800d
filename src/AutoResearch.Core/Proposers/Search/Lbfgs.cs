namespace AutoResearch.Core.Proposers.Search;

/// <summary>
/// A small limited-memory BFGS minimiser with backtracking (Armijo) line search and a projection after each step,
/// enough for the few hyperparameters of <see cref="GaussianProcess"/>.
/// </summary>
internal static class Lbfgs
{
    private const int Memory = 6;

    /// <summary>Minimises <paramref name="function"/> from <paramref name="x"/> (updated in place); returns the value.</summary>
    /// <param name="function">Value at x, writing the gradient into its second argument.</param>
    public static double Minimize(double[] x, Func<double[], double[], double> function, int maxIterations, Action<double[]> project)
    {
        var n = x.Length;
        var g = new double[n];
        var value = function(x, g);
        if (!double.IsFinite(value))
        {
            return value;
        }

        var s = new double[Memory][];
        var y = new double[Memory][];
        var rho = new double[Memory];
        for (var m = 0; m < Memory; m++)
        {
            s[m] = new double[n];
            y[m] = new double[n];
        }

        var direction = new double[n];
        var alpha = new double[Memory];
        var trial = new double[n];
        var trialGradient = new double[n];
        var stored = 0;
        var head = 0;
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            // Two-loop recursion: direction = −H g.
            Array.Copy(g, direction, n);
            for (var k = 0; k < stored; k++)
            {
                var m = (head - 1 - k + Memory) % Memory;
                alpha[m] = rho[m] * Dot(s[m], direction);
                Axpy(-alpha[m], y[m], direction);
            }

            if (stored > 0)
            {
                var last = (head - 1 + Memory) % Memory;
                var scale = Dot(s[last], y[last]) / Dot(y[last], y[last]);
                for (var i = 0; i < n; i++)
                {
                    direction[i] *= scale;
                }
            }

            for (var k = stored - 1; k >= 0; k--)
            {
                var m = (head - 1 - k + Memory) % Memory;
                var beta = rho[m] * Dot(y[m], direction);
                Axpy(alpha[m] - beta, s[m], direction);
            }

            for (var i = 0; i < n; i++)
            {
                direction[i] = -direction[i];
            }

            var slope = Dot(direction, g);
            if (slope >= 0)
            {
                // Not a descent direction: fall back to steepest descent and forget the curvature pairs.
                for (var i = 0; i < n; i++)
                {
                    direction[i] = -g[i];
                }

                slope = -Dot(g, g);
                stored = 0;
            }

            if (stored == 0)
            {
                // A first step of at most 1 in θ (log space).
                var norm = Math.Sqrt(Dot(direction, direction));
                if (norm > 1)
                {
                    for (var i = 0; i < n; i++)
                    {
                        direction[i] /= norm;
                    }

                    slope /= norm;
                }
            }

            var step = 1.0;
            var trialValue = double.PositiveInfinity;
            for (var attempt = 0; attempt < 20; attempt++)
            {
                for (var i = 0; i < n; i++)
                {
                    trial[i] = x[i] + (step * direction[i]);
                }

                project(trial);
                trialValue = function(trial, trialGradient);
                if (double.IsFinite(trialValue) && trialValue <= value + (1e-4 * step * slope))
                {
                    break;
                }

                step *= 0.5;
            }

            if (!double.IsFinite(trialValue) || trialValue > value)
            {
                break;
            }

            var sm = s[head];
            var ym = y[head];
            for (var i = 0; i < n; i++)
            {
                sm[i] = trial[i] - x[i];
                ym[i] = trialGradient[i] - g[i];
            }

            var sy = Dot(sm, ym);
            var improvement = value - trialValue;
            Array.Copy(trial, x, n);
            Array.Copy(trialGradient, g, n);
            value = trialValue;
            if (sy > 1e-12)
            {
                rho[head] = 1 / sy;
                head = (head + 1) % Memory;
                stored = Math.Min(stored + 1, Memory);
            }

            if (improvement < 1e-6 * Math.Max(1, Math.Abs(value)))
            {
                break;
            }
        }

        return value;
    }

    private static double Dot(double[] a, double[] b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }

        return s;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (var i = 0; i < x.Length; i++)
        {
            y[i] += a * x[i];
        }
    }
}
