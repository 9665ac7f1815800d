namespace AutoResearch.Core.Proposers.Search;

/// <summary>One coordinate of the unit cube the optimizer searches.</summary>
/// <param name="Levels">0 for a continuous coordinate; otherwise the number of evenly spaced values in [0, 1]
/// (an integer knob, a power of two, a boolean or a list of choices), at least 2.</param>
public sealed record SearchDimension(int Levels = 0)
{
    /// <summary>A continuous coordinate.</summary>
    public static SearchDimension Continuous { get; } = new(0);

    /// <summary><paramref name="unit"/> snapped to the nearest level (unchanged when continuous), within [0, 1].</summary>
    public double Snap(double unit)
    {
        var u = Math.Clamp(unit, 0, 1);
        return Levels >= 2 ? Math.Round(u * (Levels - 1)) / (Levels - 1) : u;
    }
}
