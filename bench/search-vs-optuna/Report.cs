using System.Globalization;

namespace SearchVsOptuna;

/// <summary>Reads the traces and prints the markdown tables: median regret, mean rank, evaluations to a target, tests.</summary>
internal static class Report
{
    private static readonly int[] s_budgets = [25, 50, 100];

    public static void Print(IReadOnlyList<Problem> suite, string tracesPath)
    {
        var rows = File.ReadLines(tracesPath).Skip(1).Select(line => line.Split(',')).Select(f => (
            Problem: f[0], Method: f[1], Seed: int.Parse(f[2], CultureInfo.InvariantCulture), Seconds: double.Parse(f[3], CultureInfo.InvariantCulture),
            Trace: Parse(f[4]), Picked: Parse(f[5]))).ToList();
        var methods = Runner.Methods.Where(m => rows.Any(r => r.Method == m)).ToArray();
        var problems = suite.Where(p => rows.Any(r => r.Problem == p.Name)).ToList();
        // Only seeds every (problem, method) finished: an interrupted run is analysed on its complete seeds.
        var seeds = rows.Select(r => r.Seed).Distinct().Order()
            .Where(s => rows.Count(r => r.Seed == s) == problems.Count * methods.Length).ToArray();
        rows = rows.Where(r => seeds.Contains(r.Seed)).ToList();
        var length = rows.Min(r => r.Trace.Length);
        var budgets = s_budgets.Where(b => b <= length).ToArray();
        var trace = rows.ToDictionary(r => (r.Problem, r.Method, r.Seed), r => r.Trace);

        var optimum = new Dictionary<string, double>();
        foreach (var p in problems)
        {
            var seen = rows.Where(r => r.Problem == p.Name).Min(r => r.Trace.Min());
            optimum[p.Name] = double.IsNaN(p.Optimum) ? Math.Min(seen, ReferenceOptimum(p)) : p.Optimum;
        }

        double Regret(string problem, string method, int seed, int budget) =>
            Math.Max(0, trace[(problem, method, seed)][budget - 1] - optimum[problem]);

        Console.WriteLine($"problems: {problems.Count}, seeds: {seeds.Length}, methods: {string.Join(", ", methods)}, evaluations: {length}");
        Console.WriteLine();
        Console.WriteLine("Seconds per run (median; optimizer and objective together, Optuna including its IPC):");
        Console.WriteLine();
        Console.WriteLine("| method | " + string.Join(" | ", methods) + " |");
        Console.WriteLine("|---|" + string.Concat(methods.Select(_ => "---:|")));
        Console.WriteLine("| s/run | " + string.Join(" | ", methods.Select(m => Statistics.Median(rows.Where(r => r.Method == m).Select(r => r.Seconds)).ToString("F2", CultureInfo.InvariantCulture))) + " |");
        Console.WriteLine();

        // Median simple regret per problem and budget.
        foreach (var b in budgets)
        {
            Console.WriteLine($"### Median simple regret after {b} evaluations (lower is better; LCBench in accuracy points)");
            Console.WriteLine();
            Console.WriteLine("| problem | " + string.Join(" | ", methods) + " |");
            Console.WriteLine("|---|" + string.Concat(methods.Select(_ => "---:|")));
            foreach (var p in problems)
            {
                var medians = methods.Select(m => Statistics.Median(seeds.Select(s => Regret(p.Name, m, s, b)))).ToArray();
                var best = medians.Min();
                Console.WriteLine($"| {p.Name} | " + string.Join(" | ", medians.Select(v => v == best ? $"**{Format(v)}**" : Format(v))) + " |");
            }

            Console.WriteLine();
        }

        // Ranks within each (problem, seed), averaged per problem and over the suite.
        var meanRank = new Dictionary<(string Problem, string Method, int Budget), double>();
        foreach (var p in problems)
        {
            foreach (var b in budgets)
            {
                var sums = new double[methods.Length];
                foreach (var s in seeds)
                {
                    var ranks = Statistics.Ranks(methods.Select(m => Regret(p.Name, m, s, b)).ToArray());
                    for (var k = 0; k < methods.Length; k++)
                    {
                        sums[k] += ranks[k];
                    }
                }

                for (var k = 0; k < methods.Length; k++)
                {
                    meanRank[(p.Name, methods[k], b)] = sums[k] / seeds.Length;
                }
            }
        }

        Console.WriteLine("### Mean rank over the suite (ranked among the methods on each problem and seed; 1 is best)");
        Console.WriteLine();
        Console.WriteLine("| evaluations | " + string.Join(" | ", methods) + " |");
        Console.WriteLine("|---|" + string.Concat(methods.Select(_ => "---:|")));
        foreach (var b in budgets)
        {
            Console.WriteLine($"| {b} | " + string.Join(" | ", methods.Select(m => problems.Average(p => meanRank[(p.Name, m, b)]).ToString("F2", CultureInfo.InvariantCulture))) + " |");
        }

        Console.WriteLine();

        // The same ranking with the point each method would pick by its noisy observations (equal to the above on
        // noiseless problems).
        var picked = rows.ToDictionary(r => (r.Problem, r.Method, r.Seed), r => r.Picked);
        Console.WriteLine("### Mean rank by the picked point instead (the best noisy observation's true value)");
        Console.WriteLine();
        Console.WriteLine("| evaluations | " + string.Join(" | ", methods) + " |");
        Console.WriteLine("|---|" + string.Concat(methods.Select(_ => "---:|")));
        foreach (var b in budgets)
        {
            var sums = new double[methods.Length];
            foreach (var p in problems)
            {
                foreach (var s in seeds)
                {
                    var ranks = Statistics.Ranks(methods.Select(m => picked[(p.Name, m, s)][b - 1]).ToArray());
                    for (var k = 0; k < methods.Length; k++)
                    {
                        sums[k] += ranks[k];
                    }
                }
            }

            Console.WriteLine($"| {b} | " + string.Join(" | ", sums.Select(v => (v / (problems.Count * seeds.Length)).ToString("F2", CultureInfo.InvariantCulture))) + " |");
        }

        Console.WriteLine();

        // Suite-level tests: ours vs each rival (its earlier design, each TPE) on the per-problem mean ranks (paired over problems), Holm over the family.
        var rivals = new[] { "ours-dense", "tpe", "mtpe" }.Where(methods.Contains).ToArray();
        if (methods.Contains("ours") && rivals.Length > 0)
        {
            var family = new List<(string Rival, int Budget, double Z, double P)>();
            foreach (var rival in rivals)
            {
                foreach (var b in budgets)
                {
                    var (z, pValue) = Statistics.Wilcoxon(problems.Select(p => meanRank[(p.Name, "ours", b)]).ToArray(), problems.Select(p => meanRank[(p.Name, rival, b)]).ToArray());
                    family.Add((rival, b, z, pValue));
                }
            }

            var adjusted = Statistics.Holm(family.Select(f => f.P).ToArray());
            Console.WriteLine($"### Suite-level test: ours vs each rival, paired Wilcoxon signed-rank over the {problems.Count} problems' mean ranks, Holm over these {family.Count} tests");
            Console.WriteLine();
            Console.WriteLine("| rival | evaluations | ours better on | z | p | p (Holm) |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|");
            for (var k = 0; k < family.Count; k++)
            {
                var (rival, b, z, pValue) = family[k];
                var better = problems.Count(p => meanRank[(p.Name, "ours", b)] < meanRank[(p.Name, rival, b)]);
                Console.WriteLine($"| {rival} | {b} | {better}/{problems.Count} | {z:F2} | {FormatP(pValue)} | {FormatP(adjusted[k])} |");
            }

            Console.WriteLine();

            // Per problem: Wilcoxon over seeds on regret, Holm across problems within each (rival, budget).
            Console.WriteLine($"### Per problem: paired Wilcoxon over {seeds.Length} seeds on regret, Holm across the {problems.Count} problems per column (+ ours significantly better, − worse, · neither)");
            Console.WriteLine();
            var columns = rivals.SelectMany(r => budgets.Select(b => (Rival: r, Budget: b))).ToArray();
            Console.WriteLine("| problem | " + string.Join(" | ", columns.Select(c => $"vs {c.Rival} @{c.Budget}")) + " |");
            Console.WriteLine("|---|" + string.Concat(columns.Select(_ => ":---:|")));
            var marks = new string[problems.Count, columns.Length];
            for (var c = 0; c < columns.Length; c++)
            {
                var tests = problems.Select(p => Statistics.Wilcoxon(
                    seeds.Select(s => Regret(p.Name, "ours", s, columns[c].Budget)).ToArray(),
                    seeds.Select(s => Regret(p.Name, columns[c].Rival, s, columns[c].Budget)).ToArray())).ToArray();
                var holm = Statistics.Holm(tests.Select(t => t.P).ToArray());
                for (var k = 0; k < problems.Count; k++)
                {
                    marks[k, c] = holm[k] >= 0.05 ? "·" : tests[k].Z < 0 ? "+" : "−";
                }
            }

            for (var k = 0; k < problems.Count; k++)
            {
                Console.WriteLine($"| {problems[k].Name} | " + string.Join(" | ", Enumerable.Range(0, columns.Length).Select(c => marks[k, c])) + " |");
            }

            Console.WriteLine("| **+ / · / −** | " + string.Join(" | ", Enumerable.Range(0, columns.Length).Select(c =>
            {
                var column = Enumerable.Range(0, problems.Count).Select(k => marks[k, c]).ToArray();
                return $"{column.Count(m => m == "+")} / {column.Count(m => m == "·")} / {column.Count(m => m == "−")}";
            })) + " |");
            Console.WriteLine();
        }

        // Evaluations to a target: the median regret default TPE reaches with the full budget.
        if (methods.Contains("tpe"))
        {
            Console.WriteLine($"### Evaluations to reach default TPE's median regret at {length} (median over seeds; >{length}: not reached by half; reached fraction in brackets)");
            Console.WriteLine();
            Console.WriteLine("| problem | target | " + string.Join(" | ", methods) + " |");
            Console.WriteLine("|---|---:|" + string.Concat(methods.Select(_ => "---:|")));
            foreach (var p in problems)
            {
                var target = Statistics.Median(seeds.Select(s => Regret(p.Name, "tpe", s, length)));
                var cells = methods.Select(m =>
                {
                    var hits = seeds.Select(s => FirstHit(trace[(p.Name, m, s)], optimum[p.Name] + target)).ToArray();
                    var median = Statistics.Median(hits.Select(h => h ?? double.PositiveInfinity));
                    var reached = hits.Count(h => h is not null);
                    return (double.IsPositiveInfinity(median) ? $">{length}" : median.ToString("0", CultureInfo.InvariantCulture)) + $" ({reached}/{seeds.Length})";
                });
                Console.WriteLine($"| {p.Name} | {Format(target)} | " + string.Join(" | ", cells) + " |");
            }

            Console.WriteLine();
        }

        if (methods.Contains("ours") && methods.Contains("mtpe") && budgets.Contains(50))
        {
            Console.WriteLine($"rank_vs_mtpe: {problems.Average(p => meanRank[(p.Name, "ours", 50)]):F2} vs {problems.Average(p => meanRank[(p.Name, "mtpe", 50)]):F2}");
        }

        if (methods.Contains("ours") && methods.Contains("tpe") && budgets.Contains(50))
        {
            Console.WriteLine($"rank_vs_tpe: {problems.Average(p => meanRank[(p.Name, "ours", 50)]):F2} vs {problems.Average(p => meanRank[(p.Name, "tpe", 50)]):F2}");
        }
    }

    private static double[] Parse(string field) => field.Split(';').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    private static double? FirstHit(double[] trace, double level)
    {
        for (var t = 0; t < trace.Length; t++)
        {
            if (trace[t] <= level + 1e-12)
            {
                return t + 1;
            }
        }

        return null;
    }

    /// <summary>The best of 20,000 uniform random points: a floor for problems whose optimum is unknown.</summary>
    private static double ReferenceOptimum(Problem p)
    {
        var random = new Random(4242);
        var best = double.PositiveInfinity;
        for (var s = 0; s < 20_000; s++)
        {
            best = Math.Min(best, p.Objective(p.Parameters.Select(q => q.FromUnit(random.NextDouble())).ToArray()));
        }

        return best;
    }

    private static string Format(double v) => v == 0 ? "0" : Math.Abs(v) >= 100 || Math.Abs(v) < 0.01 ? v.ToString("0.00e0", CultureInfo.InvariantCulture) : v.ToString("0.000", CultureInfo.InvariantCulture);

    private static string FormatP(double p) => p < 1e-4 ? p.ToString("0.0e0", CultureInfo.InvariantCulture) : p.ToString("0.0000", CultureInfo.InvariantCulture);
}
