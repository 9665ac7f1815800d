using AutoResearch.Core.Workspace;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Workspace;

public sealed class CommittedChangeTests
{
    [Fact]
    public void A_patch_recorded_with_binary_data_reads_without_it_and_keeps_its_text_changes()
    {
        // A ledger written before binary proposals were refused holds git's base85 blocks; `show` prints the patch through this.
        using var repo = new TempGitRepo(new Dictionary<string, string> { ["a.txt"] = "one\n", ["z.txt"] = "last\n" });
        repo.Write("a.txt", "two\n");
        repo.Write("z.txt", "changed\n");
        File.WriteAllBytes(Path.Combine(repo.Root, "m.bin"), [.. Enumerable.Range(0, 3000).Select(i => (byte)(i * 7919 % 251))]);
        repo.Git("add", "-A");
        repo.Git("commit", "-qm", "binary");
        var patch = repo.Git("diff", "--binary", "HEAD~1", "HEAD");
        Assert.Contains("GIT binary patch", patch, StringComparison.Ordinal);

        var shown = CommittedChange.WithoutBinaryData(patch);

        Assert.DoesNotContain("GIT binary patch", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("literal ", shown, StringComparison.Ordinal);
        Assert.Contains("diff --git a/m.bin b/m.bin\nnew file mode 100644", shown, StringComparison.Ordinal);
        Assert.Contains("Binary file changed (its data is not shown)", shown, StringComparison.Ordinal);
        Assert.Contains("-one\n+two", shown, StringComparison.Ordinal);
        Assert.Contains("-last\n+changed", shown, StringComparison.Ordinal);
        Assert.Equal(patch.Split('\n').Count(l => l.StartsWith("diff --git", StringComparison.Ordinal)), shown.Split('\n').Count(l => l.StartsWith("diff --git", StringComparison.Ordinal)));
        Assert.Equal("-one\n+two\n", CommittedChange.WithoutBinaryData("-one\n+two\n"));
    }
}
