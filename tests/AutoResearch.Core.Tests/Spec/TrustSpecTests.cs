using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Tests.Spec;

public sealed class TrustSpecTests
{
    private const string Base = "[objective]\nmetric = \"val_bpb\"\ndirection = \"minimize\"\n[scope]\neditable = [\"train.cs\"]\n";

    [Fact]
    public void Sandbox_limits_and_trusted_score_are_read()
    {
        var spec = SpecLoader.FromToml("/w", "t", Base + """
            [run]
            command = "dotnet run train.cs"
            sandbox = "bwrap"
            [limits]
            memory_mb = 2048
            processes = 64
            cpu_seconds = 100
            [score]
            mode = "trusted"
            serve = "dotnet run train.cs -- --serve-logprobs x"
            data = "${AUTORESEARCH_DATA}"
            tolerance = 0.01
            causality_probes = 4
            hidden = ["secret.txt"]
            """);

        Assert.Equal(SandboxKind.Bwrap, spec.Run.Sandbox.Kind);
        Assert.Equal(2048, spec.Run.Sandbox.MemoryMb);
        Assert.Equal(64, spec.Run.Sandbox.Processes);
        Assert.Equal(100, spec.Run.Sandbox.CpuSeconds);
        Assert.Equal(ScoreMode.Trusted, spec.Score.Mode);
        Assert.Equal(0.01, spec.Score.Tolerance);
        Assert.Equal(4, spec.Score.CausalityProbes);
        Assert.Equal(["secret.txt"], spec.Score.Hidden);
    }

    [Fact]
    public void Defaults_are_no_sandbox_and_self_reported_and_Sandboxed_forces_bwrap()
    {
        var spec = SpecLoader.FromToml("/w", "t", Base + "[run]\ncommand = \"x\"\n");

        Assert.Equal(SandboxKind.None, spec.Run.Sandbox.Kind);
        Assert.Equal(ScoreMode.SelfReported, spec.Score.Mode);
        Assert.Equal(SandboxKind.Bwrap, spec.Sandboxed().Run.Sandbox.Kind);
        Assert.Equal(spec.Run.Sandbox.MemoryMb, spec.Sandboxed().Run.Sandbox.MemoryMb);
    }

    [Fact]
    public void Every_trust_problem_is_reported_together()
    {
        var error = Assert.Throws<SpecException>(() => SpecLoader.FromToml("/w", "t", Base + """
            [run]
            command = "x"
            sandbox = "docker"
            [limits]
            processes = 0
            [score]
            mode = "trusted"
            serve = "a"
            command = "b"
            holdout_fraction = 2
            """));

        Assert.Contains("[run] sandbox = \"docker\" must be \"none\" or \"bwrap\"", error.Message, StringComparison.Ordinal);
        Assert.Contains("[limits] processes = 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("needs exactly one of serve", error.Message, StringComparison.Ordinal);
        Assert.Contains("[score] serve needs data", error.Message, StringComparison.Ordinal);
        Assert.Contains("[score] holdout_fraction = 2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("${DATA}", "/d/x")]
    [InlineData("${MISSING:-~/cache/x}", "/home/u/cache/x")]
    [InlineData("$DATA/y", "/d/x/y")]
    [InlineData("plain", "plain")]
    public void Data_paths_expand_variables_and_home(string text, string expected)
    {
        var environment = new Dictionary<string, string> { ["DATA"] = "/d/x", ["HOME"] = "/home/u" };

        Assert.Equal(expected, Core.Running.TrustedData.Expand(text, n => environment.GetValueOrDefault(n)));
    }
}
