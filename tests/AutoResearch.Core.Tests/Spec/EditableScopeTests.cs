using AutoResearch.Core.Spec;

namespace AutoResearch.Core.Tests.Spec;

public sealed class EditableScopeTests
{
    [Theory]
    [InlineData("train.py", true)]
    [InlineData("src/model.py", true)]
    [InlineData("src/deep/er/model.py", true)]
    [InlineData("src/model.txt", false)]
    [InlineData("prepare.py", false)]
    [InlineData("sub/train.py", false)]
    [InlineData("../train.py", false)]
    [InlineData("/train.py", false)]
    [InlineData("autoresearch.toml", false)]
    [InlineData(".autoresearch/ledger.db", false)]
    [InlineData(".git/config", false)]
    public void Globs_decide_what_is_editable(string path, bool editable)
    {
        var scope = new EditableScope(["train.py", "src/**/*.py", "autoresearch.toml", ".autoresearch/**", "**/*.db", ".git/**"]);

        Assert.Equal(editable, scope.IsEditable(path));
    }
}
