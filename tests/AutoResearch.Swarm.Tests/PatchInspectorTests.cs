using AutoResearch.Core.Spec;
using AutoResearch.Swarm.Coordinator;
using AutoResearch.Swarm.Simulator;

namespace AutoResearch.Swarm.Tests;

public sealed class PatchInspectorTests
{
    private static readonly EditableScope s_scope = new(["params.txt", "src/**/*.cs"]);

    [Fact]
    public void A_patch_of_an_editable_file_passes()
    {
        var patch = SyntheticObjective.Patch(SyntheticObjective.BaseText, 2, 0.5);

        Assert.Empty(PatchInspector.Problems(patch, s_scope, 65536));
    }

    [Theory]
    [InlineData("prepare.txt", "not editable")]
    [InlineData("../outside.txt", "escapes")]
    [InlineData("src/../../x.cs", "escapes")]
    [InlineData(".git/config", "escapes")]
    [InlineData("autoresearch.toml", "not editable")]
    public void A_patch_naming_a_forbidden_path_is_refused(string path, string expected)
    {
        var patch = SyntheticObjective.Patch(SyntheticObjective.BaseText, 2, 0.5, path);

        var problems = PatchInspector.Problems(patch, s_scope, 65536);

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_rename_out_of_scope_is_refused()
    {
        const string patch = "diff --git a/params.txt b/params.txt\nsimilarity index 100%\nrename from params.txt\nrename to prepare.txt\n";

        Assert.Contains(PatchInspector.Problems(patch, s_scope, 65536), p => p.Contains("prepare.txt", StringComparison.Ordinal));
    }

    [Fact]
    public void An_oversized_or_empty_patch_is_refused()
    {
        var big = SyntheticObjective.Patch(SyntheticObjective.BaseText, 1, 0.1) + "+" + new string('x', 70000) + "\n";

        Assert.Contains(PatchInspector.Problems(big, s_scope, 65536), p => p.Contains("over the project's limit", StringComparison.Ordinal));
        Assert.Contains(PatchInspector.Problems("just text\n", s_scope, 65536), p => p.Contains("changes no file", StringComparison.Ordinal));
    }
}
