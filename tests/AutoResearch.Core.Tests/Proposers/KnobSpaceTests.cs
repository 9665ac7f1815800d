using AutoResearch.Core.Proposers.Search;
using AutoResearch.Core.Spec;
using Tomlyn;
using Tomlyn.Model;

namespace AutoResearch.Core.Tests.Proposers;

public sealed class KnobSpaceTests
{
    [Fact]
    public void Powers_of_two_stay_powers_of_two()
    {
        var space = KnobScanner.Scan("train.cs", "const int BATCH = 64;\n").Single().Space;

        var literals = Enumerable.Range(0, 101).Select(i => space.ToLiteral(i / 100.0, "64")).Distinct().ToList();

        Assert.Equal(["16", "32", "64", "128", "256"], literals);
        Assert.Equal(5, space.Dimension().Levels);
        Assert.Equal(0.5, space.ToUnit("64"));
    }

    [Fact]
    public void Floats_keep_their_style_and_round_trip_through_the_unit_cube()
    {
        var knobs = KnobScanner.Scan("train.cs", "const double LR = 1e-3;\nconst float DROP = 0.1f;\n");
        var lr = knobs[0].Space;
        var drop = knobs[1].Space;

        Assert.Equal("1e-3", lr.ToLiteral(lr.ToUnit("1e-3")!.Value, "1e-3"));
        Assert.Matches(@"^[0-9.]+e-[0-9]$", lr.ToLiteral(0.83, "1e-3"));
        Assert.EndsWith("f", drop.ToLiteral(0.9, "0.1f"), StringComparison.Ordinal);
        Assert.Equal(0, drop.Dimension().Levels);
    }

    [Fact]
    public void Choices_map_to_levels()
    {
        var space = KnobScanner.Scan("train.py", "ACT = \"gelu\"  # choices: gelu|relu|silu\n").Single().Space;

        Assert.Equal(3, space.Dimension().Levels);
        Assert.Equal(0.5, space.ToUnit("\"relu\""));
        Assert.Equal("\"silu\"", space.ToLiteral(1, "\"gelu\""));
    }

    [Fact]
    public void Numeric_choices_match_float_literals_by_value_and_keep_their_style()
    {
        // The tinygpt template's `const float LOGIT_SOFTCAP = 0f;` with `choices = [0, 15, 30]`: 0f is the choice 0 (not
        // an unknown value moved to the middle on every proposal), and 15 is written 15.0f so that the const compiles.
        var section = (TomlTable)TomlSerializer.Deserialize<TomlTable>("[search.knobs]\nCAP = { choices = [0, 15, 30] }\n")!;
        var settings = new SearchSettings(((TomlTable)section["search"]).ToDictionary(kv => kv.Key, kv => kv.Value), "autoresearch.toml");
        var cap = settings.Apply(KnobScanner.Scan("train.cs", "const float CAP = 0f;\nconst int WIDTH = 64;\n"), "autoresearch.toml").Single(k => k.Name == "CAP").Space;

        Assert.Equal(0, cap.ToUnit("0f"));
        Assert.Equal(0.5, cap.ToUnit("15.0f"));
        Assert.Equal("0f", cap.ToLiteral(0, "0f")); // unchanged: not a move
        Assert.Equal("15.0f", cap.ToLiteral(0.5, "0f"));
        Assert.Equal("30", cap.ToLiteral(1, "0"));
        Assert.Null(cap.ToUnit("7f"));
    }

    [Fact]
    public void Overrides_set_range_log_int_choices_and_frozen_and_include_exclude_select()
    {
        const string toml = """
            [search]
            exclude = ["SEED"]
            [search.knobs]
            LR = { range = [1e-5, 1e-1] }
            DEPTH = { range = [1, 12], int = true }
            WD = { range = [0.0, 0.3], log = false }
            ACT = { choices = ["gelu", "relu"] }
            BATCH = { frozen = true }
            """;
        var section = (TomlTable)TomlSerializer.Deserialize<TomlTable>(toml)!["search"];
        var settings = new SearchSettings(section.ToDictionary(kv => kv.Key, kv => kv.Value), "autoresearch.toml");
        const string text = """
            LR = 3e-4
            DEPTH = 4.0
            WD = 0.1
            ACT = "gelu"
            BATCH = 32
            SEED = 42
            WIDTH = 256
            """;

        var knobs = settings.Apply(KnobScanner.Scan("train.py", text), "autoresearch.toml").ToDictionary(k => k.Name);

        Assert.Equal(["LR", "DEPTH", "WD", "ACT", "WIDTH"], knobs.Keys);
        Assert.True(knobs["LR"].Space.Log);
        Assert.Equal((1e-5, 1e-1), (knobs["LR"].Space.Low, knobs["LR"].Space.High));
        Assert.Equal(KnobKind.Integer, knobs["DEPTH"].Space.Kind);
        Assert.Equal(12, knobs["DEPTH"].Space.Dimension().Levels);
        Assert.False(knobs["WD"].Space.Log);
        Assert.Equal("0.3", knobs["WD"].Space.ToLiteral(1, "0.1"));
        Assert.Equal(["\"gelu\"", "\"relu\""], knobs["ACT"].Space.Choices);
    }

    [Fact]
    public void Include_keeps_only_the_named_knobs()
    {
        var settings = new SearchSettings(new Dictionary<string, object> { ["include"] = new TomlArray { "LR", "ADAM_*" } }, "autoresearch.toml");

        var knobs = settings.Apply(KnobScanner.Scan("train.py", "LR = 1e-3\nADAM_BETAS = (0.9, 0.95)\nWIDTH = 64\n"), "autoresearch.toml");

        Assert.Equal(["LR", "ADAM_BETAS[0]", "ADAM_BETAS[1]"], knobs.Select(k => k.Name));
    }

    [Fact]
    public void A_bad_override_is_reported_with_its_key()
    {
        var section = (TomlTable)TomlSerializer.Deserialize<TomlTable>("[search]\ncolour = 1\n[search.knobs]\nLR = { range = [1, 0] }\n")!["search"];

        var error = Assert.Throws<SpecException>(() =>
            new SearchSettings(section.ToDictionary(kv => kv.Key, kv => kv.Value), "autoresearch.toml"));

        Assert.Contains("[search] colour", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_tinygpt_template_exposes_its_hyperparameters_to_the_search()
    {
        var template = TinyGptTemplate();
        var spec = SpecLoader.Load(template);
        var settings = new SearchSettings(spec.Extra.GetValueOrDefault("search"), spec.Source);

        var knobs = settings.Apply(KnobScanner.Scan("train.cs", File.ReadAllText(Path.Combine(template, "train.cs"))), spec.Source).ToDictionary(k => k.Name);

        Assert.Contains("LEARNING_RATE", knobs.Keys);
        Assert.Contains("ROTARY", knobs.Keys);
        Assert.Equal((0.0, 0.2), (knobs["WEIGHT_DECAY"].Space.Low, knobs["WEIGHT_DECAY"].Space.High));
        Assert.Equal(1.0, knobs["FINAL_LR_RATIO"].Space.High);
        // Every knob's own literal is a point of its space, so the baseline seeds the search where it stands.
        Assert.All(knobs.Values, k => Assert.NotNull(k.Space.ToUnit(k.Literal)));
    }

    [Theory]
    [InlineData("BETA1", "0.9", 0.5, 0.99)]
    [InlineData("beta2", "0.95", 0.5, 0.995)]
    [InlineData("adam_beta2", "0.999", 0.99, 0.9999)]
    [InlineData("momentum", "0.9", 0.5, 0.99)]
    [InlineData("ema_decay", "0.9999", 0.999, 0.99999)]
    public void Decay_rates_are_searched_as_one_minus_beta_on_a_log_scale_and_stay_in_their_band(string name, string literal, double low, double high)
    {
        var space = KnobScanner.Scan("train.py", $"{name} = {literal}\n").Single().Space;

        Assert.True(space.Complement);
        Assert.Equal(low, space.Low, 9);
        Assert.Equal(high, space.High, 9);
        var values = Enumerable.Range(0, 201).Select(i => space.ToLiteral(i / 200.0, literal)).Distinct().ToList();
        Assert.All(values, v => Assert.InRange(double.Parse(v, System.Globalization.CultureInfo.InvariantCulture), low - 1e-12, high + 1e-12));
        // Evenly spaced in 1 - beta: the middle of the unit interval is the geometric middle of 1 - low and 1 - high.
        var middle = double.Parse(space.ToLiteral(0.5, literal), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Math.Sqrt((1 - low) * (1 - high)), 1 - middle, (1 - middle) * 0.01);
        Assert.Equal(literal, space.ToLiteral(space.ToUnit(literal)!.Value, literal));
    }

    [Fact]
    public void Betas_are_never_proposed_outside_their_band_in_a_whole_search()
    {
        var knobs = KnobScanner.Scan("train.cs", "const float BETA1 = 0.9f;\nconst float BETA2 = 0.95f;\nconst double LR = 1e-3;\n");
        var optimizer = new BayesianOptimizer(knobs.Select(k => k.Space.Dimension()).ToList());
        var observations = new List<Observation> { new(knobs.Select(k => k.Space.ToUnit(k.Literal)!.Value).ToList(), 1.0) };
        var random = new Random(3);
        for (var i = 0; i < 25; i++)
        {
            var point = optimizer.Suggest(observations, 11);
            var beta1 = double.Parse(knobs[0].Space.ToLiteral(point[0], "0.9f").TrimEnd('f'), System.Globalization.CultureInfo.InvariantCulture);
            var beta2 = double.Parse(knobs[1].Space.ToLiteral(point[1], "0.95f").TrimEnd('f'), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(beta1, 0.5, 0.99);
            Assert.InRange(beta2, 0.5, 0.995);
            observations.Add(new Observation(point, random.NextDouble()));
        }
    }

    [Theory]
    [InlineData("n_layer = 1\n")]
    [InlineData("n_layer = 12\n")]
    [InlineData("n_head = 6\n")]
    [InlineData("N_HEAD = 4\n")]
    [InlineData("gradient_accumulation_steps = 1\n")]
    [InlineData("max_iters = 5000\n")]
    public void Integers_stay_positive_whole_numbers(string text)
    {
        var knob = KnobScanner.Scan("config.py", text).Single();

        var values = Enumerable.Range(0, 101).Select(i => knob.Space.ToLiteral(i / 100.0, knob.Literal)).ToList();

        Assert.All(values, v => Assert.True(long.TryParse(v, out var n) && n >= 1, v));
    }

    [Fact]
    public void Layer_and_head_counts_search_a_small_range_around_their_value()
    {
        var knobs = KnobScanner.Scan("config.py", "n_layer = 12\nn_head = 6\n").ToDictionary(k => k.Name);

        Assert.Equal((6, 24), (knobs["n_layer"].Space.Low, knobs["n_layer"].Space.High));
        Assert.Equal((3, 12), (knobs["n_head"].Space.Low, knobs["n_head"].Space.High));
        Assert.False(knobs["n_layer"].Space.Log);
    }

    [Fact]
    public void An_override_that_matches_no_knob_is_an_error_naming_it_and_the_knobs_found()
    {
        var section = (TomlTable)TomlSerializer.Deserialize<TomlTable>("[search.knobs]\nlearning_rat = { range = [1e-4, 1e-2] }\nbatch_size = { range = [4, 64] }\n")!["search"];
        var settings = new SearchSettings(section.ToDictionary(kv => kv.Key, kv => kv.Value), "autoresearch.toml");

        var error = Assert.Throws<SpecException>(() => settings.Apply(KnobScanner.Scan("config.py", "learning_rate = 6e-4\nbatch_size = 12\n"), "autoresearch.toml"));

        var problem = Assert.Single(error.Problems);
        Assert.Contains("[search.knobs] learning_rat matches no knob", problem, StringComparison.Ordinal);
        Assert.Contains("found: learning_rate, batch_size", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("batch_size matches", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_override_finds_a_nested_config_value_by_its_last_name_and_a_seed_cannot_be_searched()
    {
        var section = (TomlTable)TomlSerializer.Deserialize<TomlTable>("[search.knobs]\nlr = { range = [1e-4, 1e-2] }\nseed = { range = [0, 100] }\n")!["search"];
        var settings = new SearchSettings(section.ToDictionary(kv => kv.Key, kv => kv.Value), "autoresearch.toml");
        var knobs = KnobScanner.Scan("c.yaml", "optim:\n  lr: 3e-4\nseed: 1\n");

        var error = Assert.Throws<SpecException>(() => settings.Apply(knobs, "autoresearch.toml"));

        Assert.Contains("seed is a random seed", Assert.Single(error.Problems), StringComparison.Ordinal);
        var ok = new SearchSettings(new Dictionary<string, object> { ["knobs"] = new TomlTable { ["lr"] = new TomlTable { ["range"] = new TomlArray { 1e-4, 1e-2 } } } }, "autoresearch.toml");
        Assert.Equal((1e-4, 1e-2), ok.Apply(knobs, "autoresearch.toml").Select(k => (k.Space.Low, k.Space.High)).Single());
    }

    private static string TinyGptTemplate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "templates", "tinygpt");
            if (File.Exists(Path.Combine(candidate, "autoresearch.toml")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"templates/tinygpt not found above {AppContext.BaseDirectory}");
    }
}
