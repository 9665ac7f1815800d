namespace AutoResearch.Nn;

/// <summary>
/// Learning-rate multipliers as functions of training progress in [0, 1] (a fraction of the budget,
/// not a step count, so they work with time budgets). Multiply the peak learning rate by the result.
/// </summary>
public static class LrSchedule
{
    /// <summary>Always 1.</summary>
    public static float Constant(double progress) => 1f;

    /// <summary>Linear warm-up over the first <paramref name="warmup"/> of training, then constant.</summary>
    public static float Warmup(double progress, double warmup) =>
        warmup > 0 && progress < warmup ? (float)(progress / warmup) : 1f;

    /// <summary>Linear warm-up, then cosine decay to <paramref name="finalRatio"/> of the peak at progress 1.</summary>
    public static float Cosine(double progress, double warmup = 0, double finalRatio = 0.1)
    {
        if (warmup > 0 && progress < warmup)
        {
            return (float)(progress / warmup);
        }

        var p = Math.Clamp((progress - warmup) / Math.Max(1 - warmup, 1e-9), 0, 1);
        return (float)(finalRatio + ((1 - finalRatio) * 0.5 * (1 + Math.Cos(Math.PI * p))));
    }

    /// <summary>
    /// Warm-up, a constant stretch, then a linear decay over the last <paramref name="cooldown"/> of training
    /// down to <paramref name="finalRatio"/> (the "trapezoid" or warm-up-stable-decay schedule).
    /// </summary>
    public static float WarmupStableDecay(double progress, double warmup = 0, double cooldown = 0.2, double finalRatio = 0)
    {
        if (warmup > 0 && progress < warmup)
        {
            return (float)(progress / warmup);
        }

        if (cooldown <= 0 || progress < 1 - cooldown)
        {
            return 1f;
        }

        var p = Math.Clamp((progress - (1 - cooldown)) / cooldown, 0, 1);
        return (float)(1 - ((1 - finalRatio) * p));
    }
}
