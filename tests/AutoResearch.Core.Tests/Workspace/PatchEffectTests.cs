using AutoResearch.Core.Spec;
using AutoResearch.Core.Workspace;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Workspace;

/// <summary>What git reads a patch to do: modes, paths, refusals, as the coordinator and the workers judge patches.</summary>
public sealed class PatchEffectTests : IDisposable
{
    private static readonly EditableScope s_scope = new(["train.py"]);
    private readonly TempGitRepo _repo;
    private readonly string _parent;

    public PatchEffectTests()
    {
        // train.py editable, prepare.py read-only, data a symlink the project owner committed.
        _repo = new TempGitRepo(new Dictionary<string, string> { ["train.py"] = "a = 1\nb = 2\n", ["prepare.py"] = "fixed\n" }, commit: false);
        File.CreateSymbolicLink(Path.Combine(_repo.Root, "data"), "/etc/passwd");
        _repo.Git("add", "-A");
        _repo.Git("commit", "-q", "-m", "base");
        _parent = _repo.Git("rev-parse", "HEAD");
    }

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task The_same_edit_on_a_parent_that_differs_elsewhere_has_another_identity_but_the_same_signature()
    {
        // The same edit of b, on the parent and on a child where a also changed (as a claim rebased onto a newer head).
        const string Edit = "diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n@@ -2 +2 @@\n-b = 2\n+b = 3\n";
        File.WriteAllText(Path.Combine(_repo.Root, "train.py"), "a = 5\nb = 2\n");
        _repo.Git("commit", "-qam", "a changed");
        var child = _repo.Git("rev-parse", "HEAD");

        var onParent = await PatchEffect.ReadAsync(_repo.Root, _parent, Edit);
        var onChild = await PatchEffect.ReadAsync(_repo.Root, child, Edit);
        var other = await PatchEffect.ReadAsync(_repo.Root, child, Edit.Replace("+b = 3", "+b = 4", StringComparison.Ordinal));

        Assert.True(onParent.Applies && onChild.Applies && other.Applies);
        Assert.NotEqual(onParent.Identity, onChild.Identity);
        Assert.Equal(64, onParent.Signature.Length);
        Assert.Equal(onParent.Signature, onChild.Signature);
        Assert.NotEqual(onChild.Signature, other.Signature);
    }

    [Fact]
    public async Task New_file_mode_0120000_is_read_as_a_symlink()
    {
        const string Patch = "diff --git a/link b/link\nnew file mode 0120000\n--- /dev/null\n+++ b/link\n@@ -0,0 +1 @@\n+/etc/passwd\n\\ No newline at end of file\n";

        var effect = await PatchEffect.ReadAsync(_repo.Root, _parent, Patch);

        Assert.True(effect.Applies);
        var entry = Assert.Single(effect.Entries);
        Assert.Equal(("000000", "120000", "link"), (entry.OldMode, entry.NewMode, entry.Path));
        Assert.True(entry.IsLinkOrSubmodule);
        Assert.Contains(effect.Problems(new EditableScope(["link"])), p => p.Contains("symlink", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Old_and_new_mode_lines_change_only_the_mode()
    {
        const string Patch = "diff --git a/{0} b/{0}\nold mode 100644\nnew mode 100755\n";

        var editable = await PatchEffect.ReadAsync(_repo.Root, _parent, string.Format(System.Globalization.CultureInfo.InvariantCulture, Patch, "train.py"));
        var readOnly = await PatchEffect.ReadAsync(_repo.Root, _parent, string.Format(System.Globalization.CultureInfo.InvariantCulture, Patch, "prepare.py"));

        var entry = Assert.Single(editable.Entries);
        Assert.Equal(("100644", "100755"), (entry.OldMode, entry.NewMode));
        Assert.Equal(entry.OldBlob, entry.NewBlob);
        Assert.Empty(editable.Problems(s_scope));
        Assert.Contains(readOnly.Problems(s_scope), p => p.StartsWith("mode change 100644 -> 100755 on 'prepare.py'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Mode_160000_is_read_as_a_submodule()
    {
        const string Patch = "diff --git a/sub b/sub\nnew file mode 160000\nindex 0000000..1111111111111111111111111111111111111111\n--- /dev/null\n+++ b/sub\n@@ -0,0 +1 @@\n+Subproject commit 1111111111111111111111111111111111111111\n";

        var effect = await PatchEffect.ReadAsync(_repo.Root, _parent, Patch);

        Assert.True(effect.Applies);
        Assert.Equal("160000", Assert.Single(effect.Entries).NewMode);
        Assert.Contains(effect.Problems(new EditableScope(["sub"])), p => p.Contains("submodule", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("../outside.py")]
    [InlineData("sub/../train.py")]
    [InlineData(".git/hooks/post-checkout")]
    public async Task Paths_that_leave_the_workspace_or_enter_git_are_refused_by_git_with_its_reason(string path)
    {
        var patch = $"diff --git a/{path} b/{path}\nnew file mode 100755\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+touch /tmp/x\n";

        var effect = await PatchEffect.ReadAsync(_repo.Root, _parent, patch);

        Assert.False(effect.Applies);
        Assert.Contains($"invalid path '{path}'", effect.Reason, StringComparison.Ordinal);
        Assert.False(effect.AlreadyApplied);
        Assert.Empty(effect.Entries);
    }

    [Fact]
    public async Task A_patch_that_applies_only_in_reverse_is_already_applied()
    {
        const string Patch = "diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n@@ -1 +1 @@\n-a = 0\n+a = 1\n";

        var effect = await PatchEffect.ReadAsync(_repo.Root, _parent, Patch);

        Assert.False(effect.Applies);
        Assert.True(effect.AlreadyApplied);
    }

    [Fact]
    public async Task A_patch_git_refuses_says_why_without_naming_the_scratch_file()
    {
        const string Patch = "diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n@@ -1 +1 @@\n-a = 7\n+a = 8\n";

        var effect = await PatchEffect.ReadAsync(_repo.Root, _parent, Patch);

        Assert.False(effect.Applies);
        Assert.False(effect.AlreadyApplied);
        Assert.Contains("train.py: patch does not apply", effect.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.GetTempPath(), effect.Reason, StringComparison.Ordinal);
        Assert.Equal("", effect.Tree);
    }

    [Fact]
    public async Task Two_texts_of_one_change_have_one_identity_and_tree()
    {
        const string NoContext = "diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n@@ -2 +2 @@\n-b = 2\n+b = 3\n";
        const string WithContext = "diff --git a/train.py b/train.py\nindex 0000000..1111111 100644\n--- a/train.py\t\n+++ b/train.py\t\n@@ -1,2 +1,2 @@\n a = 1\n-b = 2\n+b = 3\n";

        var first = await PatchEffect.ReadAsync(_repo.Root, _parent, NoContext);
        var second = await PatchEffect.ReadAsync(_repo.Root, _parent, WithContext);

        Assert.True(first.Applies && second.Applies);
        Assert.Equal(first.Identity, second.Identity);
        Assert.Equal(first.Tree, second.Tree);
        Assert.Empty(first.Problems(s_scope));
    }

    [Theory]
    [InlineData("rename")]
    [InlineData("copy")]
    public async Task A_rename_or_copy_onto_the_parents_symlink_is_read_as_replacing_a_symlink(string kind)
    {
        var patch = "diff --git a/data b/data\ndeleted file mode 120000\n--- a/data\n+++ /dev/null\n@@ -1 +0,0 @@\n-/etc/passwd\n\\ No newline at end of file\n"
            + $"diff --git a/train.py b/data\nsimilarity index 100%\n{kind} from train.py\n{kind} to data\n";

        var effect = await PatchEffect.ReadAsync(_repo.Root, _parent, patch);

        Assert.True(effect.Applies);
        var data = Assert.Single(effect.Entries, e => e.Path == "data");
        Assert.Equal(("120000", "100644"), (data.OldMode, data.NewMode));
        Assert.Contains(effect.Problems(new EditableScope(["train.py", "data"])), p => p.Contains("'data' is a symlink", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("rename")]
    [InlineData("copy")]
    public async Task A_rename_or_copy_onto_the_parents_symlink_without_deleting_it_is_refused_by_git(string kind)
    {
        var patch = $"diff --git a/train.py b/data\nsimilarity index 100%\n{kind} from train.py\n{kind} to data\n";

        var effect = await PatchEffect.ReadAsync(_repo.Root, _parent, patch);

        Assert.False(effect.Applies);
        Assert.Contains("data: already exists", effect.Reason, StringComparison.Ordinal);
    }
}
