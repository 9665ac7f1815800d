using AutoResearch.Core.Spec;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Spec;

public sealed class SpecLoaderTests
{
    private const string Valid = """
        [objective]
        metric = "val_loss"
        direction = "maximize"
        pattern = 'final (?<value>[0-9.]+)'

        [run]
        command = "python train.py"
        setup = "python prepare.py"
        timeout_seconds = 90
        seed = 7

        [scope]
        editable = ["train.py", "model/**/*.py"]

        [agent]
        kind = "cli"
        command = "claude -p {prompt}"
        timeout_seconds = 120
        model = "some-model"

        [acceptance]
        z = 2.5
        """;

    [Fact]
    public void Valid_spec_is_read_with_every_setting()
    {
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Valid);

        Assert.Equal("val_loss", spec.Objective.Metric);
        Assert.Equal(Direction.Maximize, spec.Objective.Direction);
        Assert.Equal("0.5", spec.Objective.Pattern.Match("final 0.5").Groups["value"].Value);
        Assert.Equal("python train.py", spec.Run.Command);
        Assert.Equal("python prepare.py", spec.Run.Setup);
        Assert.Equal(TimeSpan.FromSeconds(90), spec.Run.Timeout);
        Assert.Equal(7, spec.Run.Seed);
        Assert.True(spec.Scope.IsEditable("model/layers/attn.py"));
        Assert.False(spec.Scope.IsEditable("prepare.py"));
        Assert.Equal("cli", spec.Agent.Kind);
        Assert.Equal(TimeSpan.FromSeconds(120), spec.Agent.Timeout);
        Assert.Equal("some-model", spec.Agent.Settings["model"]);
        Assert.Equal(2.5, spec.Acceptance.Z);
        Assert.False(spec.Extra.ContainsKey("acceptance"));
    }

    [Fact]
    public void Llm_agent_settings_are_read()
    {
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Valid.Replace("kind = \"cli\"", """
            kind = "llm"
            provider = "anthropic"
            base_url = "http://localhost:8080/v1"
            api_key_env = "MY_KEY"
            max_tool_calls = 12
            max_tokens = 50000
            """, StringComparison.Ordinal));

        Assert.Equal(("llm", "anthropic", "some-model"), (spec.Agent.Kind, spec.Agent.Provider, spec.Agent.Model));
        Assert.Equal(new Uri("http://localhost:8080/v1"), spec.Agent.BaseUrl);
        Assert.Equal(("MY_KEY", 12, 50000), (spec.Agent.ApiKeyEnv, spec.Agent.MaxToolCalls!.Value, spec.Agent.MaxTokens!.Value));
    }

    [Fact]
    public void Bad_llm_agent_settings_are_all_reported_together()
    {
        var error = Assert.Throws<SpecException>(() => SpecLoader.FromToml("/w", "/w/autoresearch.toml", Valid.Replace("kind = \"cli\"", """
            kind = "gpt"
            provider = "google"
            base_url = "localhost:11434"
            max_tool_calls = 0
            max_tokens = "many"
            """, StringComparison.Ordinal)));

        Assert.Equal(5, error.Problems.Count);
        Assert.Contains(error.Problems, p => p.Contains("[agent] kind = \"gpt\"", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("[agent] provider = \"google\" must be one of \"openai\", \"anthropic\"", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("[agent] base_url = \"localhost:11434\" must be an http(s) URL", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("[agent] max_tool_calls = 0", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("[agent] max_tokens = \"many\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Defaults_fill_what_the_spec_leaves_out()
    {
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", """
            [objective]
            metric = "loss"
            direction = "minimize"
            [run]
            command = "make run"
            [scope]
            editable = ["a.txt"]
            """);

        Assert.Equal(RunSpec.DefaultTimeout, spec.Run.Timeout);
        Assert.Equal(42, spec.Run.Seed);
        Assert.Equal("1.25", spec.Objective.Pattern.Match("noise\nloss: 1.25\n").Groups["value"].Value);
        Assert.Null(spec.Agent.Kind);
    }

    [Fact]
    public void Run_outputs_and_inputs_are_globs_and_python_caches_are_always_outputs()
    {
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Valid.Replace("seed = 7", """
            seed = 7
            outputs = ["out*/**", "*.log"]
            inputs = ["data/**/*.bin"]
            """, StringComparison.Ordinal));

        Assert.True(spec.Run.IsOutput("out-shakespeare-char/ckpt.pt"));
        Assert.True(spec.Run.IsOutput("train.log"));
        Assert.True(spec.Run.IsOutput("__pycache__/model.cpython-312.pyc"));
        Assert.True(spec.Run.IsOutput("pkg/__pycache__/x.pyc"));
        Assert.False(spec.Run.IsOutput("train.py"));
        Assert.False(spec.Run.IsOutput("data/out/readme.md"));
        Assert.True(spec.Run.IsInput("data/shakespeare_char/train.bin"));
        Assert.False(spec.Run.IsInput("data/shakespeare_char/meta.pkl"));
        Assert.Equal("python train.py --seed=43 --eval-seed=43", RunSpec.WithSeed("python train.py --seed={seed} --eval-seed={seed}", 43));

        var error = Assert.Throws<SpecException>(() => SpecLoader.FromToml("/w", "/w/autoresearch.toml",
            Valid.Replace("seed = 7", "outputs = \"out\"\ninputs = [1]", StringComparison.Ordinal)));
        Assert.Contains(error.Problems, p => p.StartsWith("[run] outputs = \"out\" must be a list of paths, e.g. [\"out*/**\"]", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("[run] inputs = [1] must be a list of paths", StringComparison.Ordinal));
    }

    [Fact]
    public void Malformed_toml_names_the_file_and_position()
    {
        var error = Assert.Throws<SpecException>(() => SpecLoader.FromToml("/w", "/w/autoresearch.toml", "[objective\nmetric = 1\n"));

        Assert.StartsWith("/w/autoresearch.toml: not valid TOML", error.Message, StringComparison.Ordinal);
        Assert.Contains("(1,", error.Message, StringComparison.Ordinal);
        Assert.True(error.IsUsageError);
    }

    [Fact]
    public void Every_problem_is_reported_together_with_its_key()
    {
        var error = Assert.Throws<SpecException>(() => SpecLoader.FromToml("/w", "/w/autoresearch.toml", """
            [objective]
            metric = "bad name!"
            direction = "down"
            pattern = "no group"
            [run]
            comand = "typo"
            timeout_seconds = -5
            [scope]
            editable = []
            [mystery]
            x = 1
            """));

        var problems = error.Problems;
        Assert.Contains(problems, p => p.Contains("[objective] metric", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("[objective] direction = \"down\"", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("[objective] pattern needs named group(s) (?<value>...)", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("[run] command is missing", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("unknown key [run] comand", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("[run] timeout_seconds = -5", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("[scope] editable = []", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("`mystery`", StringComparison.Ordinal));
        Assert.Equal(8, problems.Count);
    }

    [Fact]
    public void Karpathy_layout_is_recognised_as_is()
    {
        using var repo = new TempGitRepo(new Dictionary<string, string>
        {
            ["train.py"] = "print('x')\n",
            ["prepare.py"] = "print('y')\n",
            ["program.md"] = "do research\n",
        });

        var spec = SpecLoader.Load(repo.Root);

        Assert.Equal("uv run train.py", spec.Run.Command);
        Assert.Equal("val_bpb", spec.Objective.Metric);
        Assert.Equal(Direction.Minimize, spec.Objective.Direction);
        Assert.Equal(TimeSpan.FromSeconds(600), spec.Run.Timeout);
        Assert.Equal("peak_vram_mb", spec.MemoryMetric);
        Assert.Equal("program.md", spec.ProgramFile);
        Assert.True(spec.Scope.IsEditable("train.py"));
        Assert.False(spec.Scope.IsEditable("prepare.py"));
    }

    [Fact]
    public void Folder_without_spec_or_layout_says_how_to_make_one()
    {
        using var repo = new TempGitRepo(new Dictionary<string, string> { ["readme.txt"] = "hi\n" });

        var error = Assert.Throws<SpecException>(() => SpecLoader.Load(repo.Root));

        Assert.Contains("no autoresearch.toml", error.Message, StringComparison.Ordinal);
        Assert.Contains("autoresearch init", error.Message, StringComparison.Ordinal);
    }
}
