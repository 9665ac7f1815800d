using AutoResearch.Core.Proposers;
using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Tests.Spec;

/// <summary><c>[agent] sandbox</c>, <c>network</c>, <c>writable</c> and <c>max_change_mb</c>, and the refusal of an unsandboxed agent by default.</summary>
public sealed class AgentSandboxSpecTests
{
    private const string Base = """
        [objective]
        metric = "score"
        direction = "minimize"
        [run]
        command = "bash run.sh"
        [scope]
        editable = ["knobs.sh"]

        """;

    [Fact]
    public void The_agent_is_sandboxed_with_network_by_default()
    {
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base);

        Assert.Equal(SandboxKind.Bwrap, spec.Agent.Sandbox);
        Assert.False(spec.Agent.SandboxExplicit);
        Assert.True(spec.Agent.Network);
        Assert.Empty(spec.Agent.Writable);
        Assert.Equal(10, spec.Agent.MaxChangeMb);
    }

    [Fact]
    public void Every_agent_sandbox_setting_is_read()
    {
        var spec = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base + """
            [agent]
            sandbox = "none"
            network = false
            writable = ["~/.config/agent", "/opt/cache"]
            max_change_mb = 3
            """);

        Assert.Equal(SandboxKind.None, spec.Agent.Sandbox);
        Assert.True(spec.Agent.SandboxExplicit);
        Assert.False(spec.Agent.Network);
        Assert.Equal(["~/.config/agent", "/opt/cache"], spec.Agent.Writable);
        Assert.Equal(3, spec.Agent.MaxChangeMb);
        Assert.DoesNotContain("sandbox", spec.Agent.Settings.Keys);
    }

    [Fact]
    public void Bad_agent_sandbox_settings_are_all_reported_together()
    {
        var error = Assert.Throws<SpecException>(() => SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base + """
            [agent]
            sandbox = "docker"
            network = "yes"
            writable = "~/.claude"
            max_change_mb = 0
            """));

        Assert.Contains(error.Problems, p => p.Contains("[agent] sandbox = \"docker\"", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("[agent] network", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("[agent] writable", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("[agent] max_change_mb", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_bubblewrap_a_sandboxed_agent_is_refused_before_anything_runs_unless_the_spec_says_none()
    {
        var sandboxed = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base);
        var unsandboxed = SpecLoader.FromToml("/w", "/w/autoresearch.toml", Base + "[agent]\nsandbox = \"none\"\n");

        var error = Assert.Throws<SpecException>(() => CliProposer.EnsureSandbox(sandboxed, searchPath: "/nonexistent"));
        CliProposer.EnsureSandbox(unsandboxed, searchPath: "/nonexistent");

        Assert.Contains("apt-get install bubblewrap", error.Message, StringComparison.Ordinal);
        Assert.Contains("[agent] sandbox = \"none\"", error.Message, StringComparison.Ordinal);
    }
}
