namespace SearchVsOptuna;

/// <summary>One search parameter as both sides see it: a float or an integer range, optionally on a log scale.</summary>
internal sealed record Parameter(string Name, double Low, double High, bool Log = false, bool Integer = false)
{
    /// <summary>The parameter's value at unit coordinate <paramref name="u"/> (log scale where asked, integers rounded).</summary>
    public double FromUnit(double u)
    {
        var v = Log ? Math.Exp(Math.Log(Low) + (u * (Math.Log(High) - Math.Log(Low)))) : Low + (u * (High - Low));
        return Integer ? Math.Clamp(Math.Round(v), Low, High) : Math.Clamp(v, Low, High);
    }

    /// <summary>The unit coordinate of <paramref name="value"/>.</summary>
    public double ToUnit(double value) => Log
        ? (Math.Log(value) - Math.Log(Low)) / (Math.Log(High) - Math.Log(Low))
        : (value - Low) / (High - Low);

    /// <summary>A small integer range is a grid of levels for the optimizer; everything else is continuous.</summary>
    public int Levels => Integer && !Log && High - Low <= 64 ? (int)(High - Low) + 1 : 0;
}

/// <summary>
/// A minimisation problem: the parameters, the noiseless objective, the noise added to what the optimizers see, and
/// the optimum regret is measured against.
/// </summary>
internal sealed record Problem(string Name, string Family, IReadOnlyList<Parameter> Parameters, Func<double[], double> Objective, double NoiseSd, double Optimum);
