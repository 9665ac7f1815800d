namespace SearchVsOptuna;

/// <summary>The synthetic test functions (noiseless, minimised), their domains and optima.</summary>
internal static class Functions
{
    public static double Branin(double[] x)
    {
        const double b = 5.1 / (4 * Math.PI * Math.PI);
        const double c = 5 / Math.PI;
        const double t = 1 / (8 * Math.PI);
        var a = x[1] - (b * x[0] * x[0]) + (c * x[0]) - 6;
        return (a * a) + (10 * (1 - t) * Math.Cos(x[0])) + 10;
    }

    private static readonly double[] s_hartmannAlpha = [1.0, 1.2, 3.0, 3.2];

    private static readonly double[,] s_hartmannA =
    {
        { 10, 3, 17, 3.5, 1.7, 8 },
        { 0.05, 10, 17, 0.1, 8, 14 },
        { 3, 3.5, 1.7, 10, 17, 8 },
        { 17, 8, 0.05, 10, 0.1, 14 },
    };

    private static readonly double[,] s_hartmannP =
    {
        { 0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886 },
        { 0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991 },
        { 0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650 },
        { 0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381 },
    };

    public static double Hartmann6(double[] x)
    {
        var sum = 0.0;
        for (var i = 0; i < 4; i++)
        {
            var inner = 0.0;
            for (var j = 0; j < 6; j++)
            {
                var d = x[j] - s_hartmannP[i, j];
                inner += s_hartmannA[i, j] * d * d;
            }

            sum += s_hartmannAlpha[i] * Math.Exp(-inner);
        }

        return -sum;
    }

    public static double Rosenbrock(double[] x)
    {
        var sum = 0.0;
        for (var i = 0; i < x.Length - 1; i++)
        {
            var a = x[i + 1] - (x[i] * x[i]);
            var b = 1 - x[i];
            sum += (100 * a * a) + (b * b);
        }

        return sum;
    }

    public static double Levy(double[] x)
    {
        var d = x.Length;
        double W(int i) => 1 + ((x[i] - 1) / 4);
        var w0 = Math.Sin(Math.PI * W(0));
        var sum = w0 * w0;
        for (var i = 0; i < d - 1; i++)
        {
            var w = W(i);
            var s = Math.Sin((Math.PI * w) + 1);
            sum += (w - 1) * (w - 1) * (1 + (10 * s * s));
        }

        var wd = W(d - 1);
        var sd = Math.Sin(2 * Math.PI * wd);
        return sum + ((wd - 1) * (wd - 1) * (1 + (sd * sd)));
    }

    public static double Ackley(double[] x)
    {
        var d = x.Length;
        var squares = 0.0;
        var cosines = 0.0;
        foreach (var v in x)
        {
            squares += v * v;
            cosines += Math.Cos(2 * Math.PI * v);
        }

        return (-20 * Math.Exp(-0.2 * Math.Sqrt(squares / d))) - Math.Exp(cosines / d) + 20 + Math.E;
    }
}
