namespace AutoResearch.Core.Proposers.Search;

/// <summary>
/// A Gaussian process over the unit cube with a Matérn-5/2 ARD kernel, a zero mean (the targets are standardised
/// first) and a learned noise term. Hyperparameters <c>θ = [log ℓ_1..ℓ_d, log σf², log σn²]</c> maximise the log
/// marginal likelihood plus a weak log-normal prior, by L-BFGS from a few starts. Shapes: <c>n</c> observations,
/// <c>d</c> dimensions; <c>X</c> is row-major <c>n×d</c>. Small by design (n ≤ a few hundred): one Cholesky per fit
/// step, arrays reused across steps.
/// </summary>
internal sealed class GaussianProcess
{
    private static readonly double s_sqrt5 = Math.Sqrt(5);

    private readonly double[] _x;
    private readonly double[] _y;
    private readonly int _n;
    private readonly int _d;
    private readonly double[] _k;      // n×n, the Cholesky factor after Factor()
    private readonly double[] _alpha;  // K⁻¹ y
    private readonly double[] _work;   // n×n scratch: K⁻¹ during the gradient
    private readonly double[] _r;      // n×n scaled distances
    private readonly double[] _inverseLengthSquared;

    /// <summary>The fitted hyperparameters (log lengthscales, log signal variance, log noise variance).</summary>
    public double[] Theta { get; }

    public GaussianProcess(double[] x, double[] y, int dimensions)
    {
        _x = x;
        _y = y;
        _d = dimensions;
        _n = y.Length;
        _k = new double[_n * _n];
        _alpha = new double[_n];
        _work = new double[_n * _n];
        _r = new double[_n * _n];
        _inverseLengthSquared = new double[_d];
        Theta = DefaultTheta(_d);
    }

    public int Dimensions => _d;

    public static double[] DefaultTheta(int dimensions)
    {
        var theta = new double[dimensions + 2];
        Array.Fill(theta, Math.Log(0.3), 0, dimensions);
        theta[dimensions] = 0;
        theta[dimensions + 1] = Math.Log(1e-2);
        return theta;
    }

    /// <summary>Fits θ from each of <paramref name="starts"/>, keeps the best, and factors K for prediction.</summary>
    public void Fit(IEnumerable<double[]> starts, int maxIterations)
    {
        double[]? best = null;
        var bestValue = double.PositiveInfinity;
        foreach (var start in starts)
        {
            var theta = (double[])start.Clone();
            Clamp(theta);
            var value = Lbfgs.Minimize(theta, NegativeLogPosterior, maxIterations, Clamp);
            if (value < bestValue && double.IsFinite(value))
            {
                bestValue = value;
                best = theta;
            }
        }

        best ??= DefaultTheta(_d);
        Array.Copy(best, Theta, Theta.Length);
        if (!Factor(Theta))
        {
            // Raise the noise until K is positive definite; a degenerate fit must still predict.
            for (var i = 0; i < 10 && !Factor(Theta); i++)
            {
                Theta[_d + 1] += 1;
            }
        }
    }

    /// <summary>The posterior mean and standard deviation of the latent function at <paramref name="point"/>.</summary>
    /// <param name="point">A point in the unit cube (length d).</param>
    /// <param name="scratch">Length n, caller-owned.</param>
    public (double Mean, double Sd) Predict(ReadOnlySpan<double> point, Span<double> scratch)
    {
        var signal = Math.Exp(Theta[_d]);
        var mean = 0.0;
        for (var i = 0; i < _n; i++)
        {
            var r2 = 0.0;
            var row = _x.AsSpan(i * _d, _d);
            for (var j = 0; j < _d; j++)
            {
                var delta = point[j] - row[j];
                r2 += delta * delta * _inverseLengthSquared[j];
            }

            var r = Math.Sqrt(5 * r2);
            var k = signal * (1 + r + (5 * r2 / 3)) * Math.Exp(-r);
            scratch[i] = k;
            mean += k * _alpha[i];
        }

        // v = L⁻¹ k*, variance = σf² − vᵀv.
        var vv = 0.0;
        for (var i = 0; i < _n; i++)
        {
            var s = scratch[i];
            var row = _k.AsSpan(i * _n, i);
            for (var j = 0; j < i; j++)
            {
                s -= row[j] * scratch[j];
            }

            s /= _k[(i * _n) + i];
            scratch[i] = s;
            vv += s * s;
        }

        return (mean, Math.Sqrt(Math.Max(signal - vv, 1e-12 * signal)));
    }

    private static void Clamp(double[] theta)
    {
        var d = theta.Length - 2;
        for (var j = 0; j < d; j++)
        {
            theta[j] = Math.Clamp(theta[j], Math.Log(0.01), Math.Log(20));
        }

        theta[d] = Math.Clamp(theta[d], Math.Log(0.05), Math.Log(20));
        theta[d + 1] = Math.Clamp(theta[d + 1], Math.Log(1e-6), Math.Log(2));
    }

    /// <summary>Builds K (noise included) and its Cholesky factor in place; false when not positive definite.</summary>
    private bool Factor(double[] theta)
    {
        for (var j = 0; j < _d; j++)
        {
            _inverseLengthSquared[j] = Math.Exp(-2 * theta[j]);
        }

        var signal = Math.Exp(theta[_d]);
        var noise = Math.Exp(theta[_d + 1]) + 1e-8;
        for (var i = 0; i < _n; i++)
        {
            var a = _x.AsSpan(i * _d, _d);
            for (var j = 0; j <= i; j++)
            {
                var b = _x.AsSpan(j * _d, _d);
                var r2 = 0.0;
                for (var k = 0; k < _d; k++)
                {
                    var delta = a[k] - b[k];
                    r2 += delta * delta * _inverseLengthSquared[k];
                }

                var r = s_sqrt5 * Math.Sqrt(r2);
                _r[(i * _n) + j] = r;
                _r[(j * _n) + i] = r;
                var value = signal * (1 + r + (r * r / 3)) * Math.Exp(-r);
                _k[(i * _n) + j] = i == j ? value + noise : value;
            }
        }

        // Cholesky, lower triangle, in place.
        for (var j = 0; j < _n; j++)
        {
            var rowJ = _k.AsSpan(j * _n, _n);
            var diagonal = rowJ[j];
            for (var k = 0; k < j; k++)
            {
                diagonal -= rowJ[k] * rowJ[k];
            }

            if (diagonal <= 0 || !double.IsFinite(diagonal))
            {
                return false;
            }

            var l = Math.Sqrt(diagonal);
            rowJ[j] = l;
            for (var i = j + 1; i < _n; i++)
            {
                var rowI = _k.AsSpan(i * _n, _n);
                var s = rowI[j];
                for (var k = 0; k < j; k++)
                {
                    s -= rowI[k] * rowJ[k];
                }

                rowI[j] = s / l;
            }
        }

        // α = K⁻¹ y by forward then backward substitution.
        for (var i = 0; i < _n; i++)
        {
            var s = _y[i];
            for (var k = 0; k < i; k++)
            {
                s -= _k[(i * _n) + k] * _alpha[k];
            }

            _alpha[i] = s / _k[(i * _n) + i];
        }

        for (var i = _n - 1; i >= 0; i--)
        {
            var s = _alpha[i];
            for (var k = i + 1; k < _n; k++)
            {
                s -= _k[(k * _n) + i] * _alpha[k];
            }

            _alpha[i] = s / _k[(i * _n) + i];
        }

        return true;
    }

    /// <summary>−log p(y | θ) − log p(θ) and its gradient.</summary>
    private double NegativeLogPosterior(double[] theta, double[] gradient)
    {
        if (!Factor(theta))
        {
            Array.Clear(gradient);
            return double.PositiveInfinity;
        }

        var logDet = 0.0;
        var fit = 0.0;
        for (var i = 0; i < _n; i++)
        {
            logDet += Math.Log(_k[(i * _n) + i]);
            fit += _y[i] * _alpha[i];
        }

        var value = (0.5 * fit) + logDet + (0.5 * _n * Math.Log(2 * Math.PI));

        // K⁻¹ from the factor: invert L (lower) into _work, then K⁻¹ = L⁻ᵀ L⁻¹ (symmetric, full).
        InvertFactor();

        // W = ααᵀ − K⁻¹; dL/dθ = −½ tr(W ∂K/∂θ), so the negative's gradient is +½ tr((K⁻¹ − ααᵀ) ∂K/∂θ).
        var signal = Math.Exp(theta[_d]);
        var noise = Math.Exp(theta[_d + 1]);
        Array.Clear(gradient);
        for (var i = 0; i < _n; i++)
        {
            var a = _x.AsSpan(i * _d, _d);
            for (var j = 0; j <= i; j++)
            {
                var w = _work[(i * _n) + j] - (_alpha[i] * _alpha[j]);
                var weight = i == j ? 0.5 * w : w;   // the off-diagonal pair counted once for both halves
                var r = _r[(i * _n) + j];
                var e = Math.Exp(-r);
                // ∂K/∂log σf² = K_f.
                gradient[_d] += weight * signal * (1 + r + (r * r / 3)) * e;
                if (i == j)
                {
                    gradient[_d + 1] += weight * noise;
                    continue;
                }

                // ∂K/∂log ℓ_k = σf² (5/3)(1 + r) e^{−r} Δ_k² / ℓ_k², with r the scaled distance times √5.
                var common = weight * signal * (5.0 / 3.0) * (1 + r) * e;
                var b = _x.AsSpan(j * _d, _d);
                for (var k = 0; k < _d; k++)
                {
                    var delta = a[k] - b[k];
                    gradient[k] += common * delta * delta * _inverseLengthSquared[k];
                }
            }
        }

        // Weak log-normal priors keep small-n fits sane: ℓ around 0.5, σn² around 1e-3, σf² around 1.
        for (var k = 0; k < _d; k++)
        {
            var z = (theta[k] - Math.Log(0.5)) / 1.5;
            value += 0.5 * z * z;
            gradient[k] += z / 1.5;
        }

        var zs = theta[_d] / 2.0;
        value += 0.5 * zs * zs;
        gradient[_d] += zs / 2.0;
        var zn = (theta[_d + 1] - Math.Log(1e-3)) / 3.0;
        value += 0.5 * zn * zn;
        gradient[_d + 1] += zn / 3.0;
        return value;
    }

    /// <summary>Writes K⁻¹ (lower triangle suffices for the gradient; filled full) into <see cref="_work"/>.</summary>
    private void InvertFactor()
    {
        var n = _n;
        // Solve L Z = I column by column, storing Z (lower) in _work.
        Array.Clear(_work);
        for (var c = 0; c < n; c++)
        {
            for (var i = c; i < n; i++)
            {
                var s = i == c ? 1.0 : 0.0;
                var rowL = _k.AsSpan(i * n, i);
                for (var k = c; k < i; k++)
                {
                    s -= rowL[k] * _work[(k * n) + c];
                }

                _work[(i * n) + c] = s / _k[(i * n) + i];
            }
        }

        // K⁻¹ = Zᵀ Z: entry (i, j) = Σ_k≥max(i,j) Z[k,i] Z[k,j]; computed for j ≤ i into the upper triangle first.
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var s = 0.0;
                for (var k = i; k < n; k++)
                {
                    s += _work[(k * n) + i] * _work[(k * n) + j];
                }

                // Store in the upper triangle (j < i region is still needed as Z); (j, i) with j ≤ i.
                _work[(j * n) + i] = s;
            }
        }

        // Mirror the upper triangle into the lower so reads at (i, j) with j ≤ i see K⁻¹.
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < i; j++)
            {
                _work[(i * n) + j] = _work[(j * n) + i];
            }
        }
    }
}
