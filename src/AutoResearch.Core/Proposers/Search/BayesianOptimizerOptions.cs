namespace AutoResearch.Core.Proposers.Search;

/// <summary>How hard <see cref="BayesianOptimizer"/> works per suggestion.</summary>
public sealed record BayesianOptimizerOptions
{
    /// <summary>Points of the space-filling design evaluated before the model takes over, the first (seed) point
    /// included. Default 10 (5 was measurably worse at every budget of bench/search-vs-optuna).</summary>
    public int InitialPoints { get; init; } = 10;

    /// <summary>Candidates scored by the acquisition per suggestion (random, around the best points, refined).
    /// Default 1200.</summary>
    public int Candidates { get; init; } = 1200;

    /// <summary>Random starts of the hyperparameter fit beside the default (and the previous fit, when kept).
    /// Default 1.</summary>
    public int Restarts { get; init; } = 1;

    /// <summary>L-BFGS iterations per start of the hyperparameter fit. Default 40.</summary>
    public int FitIterations { get; init; } = 40;

    /// <summary>
    /// Start the next fit from the previous one's hyperparameters too. Faster searches in a benchmark; the proposer
    /// leaves it off so that a suggestion depends only on the observations and the seed.
    /// </summary>
    public bool WarmStart { get; init; }

    /// <summary>
    /// Early suggestions move few coordinates from the current point: the design one at a time, then two; the model's
    /// suggestions two, widening by one every <see cref="BayesianOptimizer.WidenEvery"/> evaluations. Default true, so that
    /// a kept change can be credited to what it changed; false gives the plain Latin hypercube design, every coordinate
    /// moving at once.
    /// </summary>
    public bool FewMovesFirst { get; init; } = true;

    /// <summary>All problems at once.</summary>
    /// <exception cref="ArgumentException">A value is out of range; every problem is listed.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (InitialPoints < 1)
        {
            problems.Add($"InitialPoints must be at least 1 (got {InitialPoints})");
        }

        if (Candidates < 10)
        {
            problems.Add($"Candidates must be at least 10 (got {Candidates})");
        }

        if (Restarts < 0)
        {
            problems.Add($"Restarts must be 0 or more (got {Restarts})");
        }

        if (FitIterations < 1)
        {
            problems.Add($"FitIterations must be at least 1 (got {FitIterations})");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", problems));
        }
    }
}
