namespace SearchVsOptuna;

/// <summary>
/// The suite: Branin, Hartmann6, Rosenbrock 4D and 8D, Levy 10D and Ackley 6D, each plain, with additive Gaussian
/// noise of 1% and 5% of its range (max − min over 10,000 uniform points), and in HPO form (every third parameter
/// log-scaled over [1e-3, 1], the next an integer 0..20, mapped linearly onto the domain); plus LCBench tasks.
/// </summary>
internal static class Suite
{
    public static readonly string[] LcbenchTasks = ["3945", "7593", "34539", "126025", "126026"];

    public static List<Problem> Build(Lcbench? lcbench)
    {
        var problems = new List<Problem>();
        Add(problems, "branin", [-5, 0], [10, 15], Functions.Branin, 0.397887);
        Add(problems, "hartmann6", Fill(6, 0), Fill(6, 1), Functions.Hartmann6, -3.32237);
        Add(problems, "rosenbrock4", Fill(4, -5), Fill(4, 10), Functions.Rosenbrock, 0);
        Add(problems, "rosenbrock8", Fill(8, -5), Fill(8, 10), Functions.Rosenbrock, 0);
        Add(problems, "levy10", Fill(10, -10), Fill(10, 10), Functions.Levy, 0);
        Add(problems, "ackley6", Fill(6, -32.768), Fill(6, 32.768), Functions.Ackley, 0);
        if (lcbench is not null)
        {
            foreach (var task in LcbenchTasks)
            {
                // Maximised accuracy as a minimised objective; the optimum is estimated later from everything seen.
                problems.Add(new Problem($"lcbench-{task}", "lcbench", Lcbench.Parameters, p => -lcbench.ValidationAccuracy(task, p), 0, double.NaN));
            }
        }

        return problems;
    }

    private static double[] Fill(int n, double v) => Enumerable.Repeat(v, n).ToArray();

    private static void Add(List<Problem> problems, string name, double[] low, double[] high, Func<double[], double> f, double optimum)
    {
        var d = low.Length;
        var plain = Enumerable.Range(0, d).Select(i => new Parameter($"x{i}", low[i], high[i])).ToList();
        var range = Range(low, high, f);
        problems.Add(new Problem(name, name, plain, f, 0, optimum));
        problems.Add(new Problem($"{name}-noise1", name, plain, f, 0.01 * range, optimum));
        problems.Add(new Problem($"{name}-noise5", name, plain, f, 0.05 * range, optimum));

        var hpo = Enumerable.Range(0, d).Select(i => (i % 3) switch
        {
            0 => new Parameter($"x{i}", 1e-3, 1, Log: true),
            1 => new Parameter($"x{i}", 0, 20, Integer: true),
            _ => new Parameter($"x{i}", low[i], high[i]),
        }).ToList();
        double Hpo(double[] p)
        {
            var x = new double[d];
            for (var i = 0; i < d; i++)
            {
                x[i] = (i % 3) switch
                {
                    0 => low[i] + ((high[i] - low[i]) * (Math.Log10(p[i]) + 3) / 3),
                    1 => low[i] + ((high[i] - low[i]) * p[i] / 20),
                    _ => p[i],
                };
            }

            return f(x);
        }

        problems.Add(new Problem($"{name}-hpo", name, hpo, Hpo, 0, optimum));
    }

    private static double Range(double[] low, double[] high, Func<double[], double> f)
    {
        var random = new Random(12345);
        var min = double.PositiveInfinity;
        var max = double.NegativeInfinity;
        var x = new double[low.Length];
        for (var s = 0; s < 10_000; s++)
        {
            for (var i = 0; i < x.Length; i++)
            {
                x[i] = low[i] + (random.NextDouble() * (high[i] - low[i]));
            }

            var v = f(x);
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        return max - min;
    }
}
