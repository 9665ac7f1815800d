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
