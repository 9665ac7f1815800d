using AutoResearch.Core.Proposers.Search;

namespace AutoResearch.Core.Tests.Proposers;

public sealed class BayesianOptimizerTests
{
    private static readonly double[] s_optimum = [0.2, 0.7, 0.45, 0.8];

    /// <summary>A noisy quadratic bowl on [0, 1]^4 with its minimum 0 at <see cref="s_optimum"/>.</summary>
    private static double Quadratic(IReadOnlyList<double> x) => x.Select((v, i) => (v - s_optimum[i]) * (v - s_optimum[i])).Sum();

    [Fact]
    public void Finds_the_minimum_of_a_noisy_quadratic_faster_than_random_search()
    {
        const int budget = 25;
        var dimensions = Enumerable.Repeat(SearchDimension.Continuous, 4).ToList();
        var bo = new List<double>();
        var random = new List<double>();
        for (var seed = 0; seed < 5; seed++)
        {
            var noise = new Random(seed);
            var optimizer = new BayesianOptimizer(dimensions);
            var observations = new List<Observation> { new([0.9, 0.1, 0.9, 0.1], Quadratic([0.9, 0.1, 0.9, 0.1])) };
            while (observations.Count < budget)
            {
                var x = optimizer.Suggest(observations, seed);
                observations.Add(new Observation(x, Quadratic(x) + (0.01 * ((noise.NextDouble() * 2) - 1))));
            }

            bo.Add(observations.Min(o => Quadratic(o.Point)));
            var sampler = new Random(1000 + seed);
            random.Add(Enumerable.Range(0, budget).Min(_ => Quadratic([sampler.NextDouble(), sampler.NextDouble(), sampler.NextDouble(), sampler.NextDouble()])));
        }

        // Random search's expected best of 25 on this bowl is about 0.05; the model should be several times closer.
        Assert.True(bo.Order().ElementAt(2) < random.Order().ElementAt(2) / 4, $"median best: optimizer {bo.Order().ElementAt(2):G3}, random {random.Order().ElementAt(2):G3}");
        Assert.True(bo.Order().ElementAt(2) < 0.01, $"median best {bo.Order().ElementAt(2):G3}");
    }

    [Fact]
    public void Crashes_teach_it_to_avoid_their_region()
    {
        // The bowl's minimum lies where every run crashes (x0 ≥ 0.5); the best it can reach is the crash boundary.
        var dimensions = Enumerable.Repeat(SearchDimension.Continuous, 2).ToList();
        var optimizer = new BayesianOptimizer(dimensions);
        var observations = new List<Observation>();
        for (var t = 0; t < 30; t++)
        {
            var x = t == 0 ? [0.1, 0.9] : optimizer.Suggest(observations, 7);
            double? value = x[0] >= 0.5 ? null : ((x[0] - 0.8) * (x[0] - 0.8)) + ((x[1] - 0.3) * (x[1] - 0.3));
            observations.Add(new Observation(x, value));
        }

        var crashes = observations.Skip(15).Count(o => o.Value is null);
        Assert.True(crashes <= 5, $"{crashes} of the last 15 suggestions crashed");
        Assert.True(observations.Where(o => o.Value is not null).Min(o => o.Value!.Value) < 0.12, "it should approach the boundary near (0.5, 0.3)");
    }

    [Fact]
    public void Same_observations_and_seed_give_the_same_suggestion()
    {
        var dimensions = new List<SearchDimension> { SearchDimension.Continuous, new(5), new(2) };
        var observations = Enumerable.Range(0, 8).Select(i => new Observation([i / 8.0, (i % 5) / 4.0, i % 2], i == 3 ? null : Math.Sin(i))).ToList();

        var first = new BayesianOptimizer(dimensions).Suggest(observations, 3);
        var second = new BayesianOptimizer(dimensions).Suggest(observations, 3);

        Assert.Equal(first, second);
        Assert.Contains(first[1], new[] { 0, 0.25, 0.5, 0.75, 1 });
        Assert.Contains(first[2], new[] { 0.0, 1.0 });
    }

    [Fact]
    public void Target_warping_keeps_the_order_and_evens_out_a_heavy_tail()
    {
        var y = Enumerable.Range(0, 10).Select(k => Math.Exp(k)).ToArray();

        var warped = BayesianOptimizer.WarpTargets(y);

        Assert.Equal(Enumerable.Range(0, y.Length), Enumerable.Range(0, y.Length).OrderBy(i => warped[i]));
        // Raw, the top gap is e^8 ≈ 3000 times the bottom one; warped, the low values (what a minimiser cares about)
        // are squeezed together far less.
        var raw = (y[9] - y[8]) / (y[1] - y[0]);
        var ratio = (warped[9] - warped[8]) / (warped[1] - warped[0]);
        Assert.True(ratio < raw / 10, $"top/bottom gap ratio {ratio:G3}, raw {raw:G3}");
    }

    [Fact]
    public void Early_suggestions_move_one_coordinate_then_two_each_in_turn_and_widen_later()
    {
        const int d = 8;
        var optimizer = new BayesianOptimizer(Enumerable.Repeat(SearchDimension.Continuous, d).ToList());
        var current = Enumerable.Repeat(0.5, d).ToArray();
        var observations = new List<Observation> { new(current, 10.0) };
        var moved = new HashSet<int>();
        var counts = new List<int>();
        for (var n = 1; n < 30; n++)
        {
            var point = optimizer.Suggest(observations, 5, current);
            var changed = Enumerable.Range(0, d).Where(j => Math.Abs(point[j] - current[j]) > 1e-9).ToList();
            counts.Add(changed.Count);
            if (n < 10)
            {
                moved.UnionWith(changed);
            }

            // Nothing improves on the current point, so every suggestion is a move from it.
            observations.Add(new Observation(point, 11.0 + Math.Sin(n)));
        }

        Assert.Equal([1, 1, 1, 1, 2, 2, 2, 2, 2], counts.Take(9));
        Assert.Equal(d, moved.Count);
        Assert.All(counts.Skip(9).Take(4), c => Assert.InRange(c, 1, 2));
        Assert.All(counts.Skip(9), (c, i) => Assert.InRange(c, 1, 2 + (i / BayesianOptimizer.WidenEvery)));
    }

    [Fact]
    public void The_plain_design_moves_every_coordinate_when_asked()
    {
        var optimizer = new BayesianOptimizer(Enumerable.Repeat(SearchDimension.Continuous, 6).ToList(), new BayesianOptimizerOptions { FewMovesFirst = false });
        var current = Enumerable.Repeat(0.5, 6).ToArray();

        var point = optimizer.Suggest([new Observation(current, 1.0)], 5, current);

        Assert.Equal(6, Enumerable.Range(0, 6).Count(j => Math.Abs(point[j] - current[j]) > 1e-9));
    }
}
