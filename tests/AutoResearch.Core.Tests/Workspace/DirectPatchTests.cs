using System.Diagnostics;
using System.Globalization;
using System.Text;
using AutoResearch.Core.Workspace;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Workspace;

/// <summary>
/// The direct reader must say what git says, or nothing: over generated edits of a small tree (nested folders, an executable,
/// a file without a final newline, an empty file), in git's own diffs with 0 to 3 lines of context and then bent the ways a
/// careless tool or an attacker bends them (shifted or miscounted hunks, hunks out of order or twice, stale index lines,
/// files swapped), every patch the direct reader reads gives git's tree, entries, identity and signature.
/// </summary>
public sealed class DirectPatchTests : IDisposable
{
    private static readonly Dictionary<string, string> s_files = new()
    {
        ["train.py"] = string.Concat(Enumerable.Range(0, 40).Select(i => $"LR_{i} = {i * 0.001}\n")),
        ["src/model.py"] = string.Concat(Enumerable.Range(0, 25).Select(i => i % 5 == 0 ? "\n" : $"    layer_{i} = Linear({i})\n")),
        ["src/nn/deep/norm.py"] = "def norm(x):\n    return x\n",
        ["src/z.txt"] = "tail without newline",
        ["src.txt"] = "a sibling that sorts between src and src/\n",
        ["empty.py"] = "",
        ["README.md"] = "# readme\n",
    };

    private readonly TempGitRepo _repo;
    private readonly string _parent;

    public DirectPatchTests()
    {
        _repo = new TempGitRepo(s_files, commit: false);
        File.WriteAllText(Path.Combine(_repo.Root, "run.sh"), "#!/bin/sh\necho run\nexit 0\n");
        File.SetUnixFileMode(Path.Combine(_repo.Root, "run.sh"), (UnixFileMode)Convert.ToInt32("755", 8));
        _repo.Git("add", "-A");
        _repo.Git("commit", "-q", "-m", "base");
        _parent = _repo.Git("rev-parse", "HEAD");
    }

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task A_listing_hashes_back_to_its_tree()
    {
        var listing = await ListingAsync(_parent);

        Assert.True(listing.Verified);
        Assert.Equal(_repo.Git("rev-parse", _parent + "^{tree}"), listing.TreeIdWith(new Dictionary<string, string>()));
        Assert.True(listing.TryGetBlob("run.sh", out var mode, out _));
        Assert.Equal("100755", mode);
    }

    [Fact]
    public async Task A_listing_that_does_not_hash_to_its_tree_is_not_trusted()
    {
        var tree = _repo.Git("rev-parse", _parent + "^{tree}");
        var text = Run("ls-tree", "-r", "-t", "-z", tree).Replace("100755 blob", "100644 blob", StringComparison.Ordinal);

        var listing = TreeListing.Parse(tree, text);

        Assert.False(listing.Verified);
        Assert.Null(DirectPatch.Apply(listing, DirectPatch.Parse(Diff(0, ("train.py", Edit(s_files["train.py"], 3, "LR_3 = 9\n"))))!, new Dictionary<string, byte[]>()));
    }

    [Fact]
    public async Task Generated_patches_read_directly_say_what_git_says()
    {
        var random = new Random(20261207);
        var listing = await ListingAsync(_parent);
        var (direct, compared, plain, plainDirect) = (0, 0, 0, 0);
        string? missed = null;
        for (var round = 0; round < 160; round++)
        {
            var changed = RandomEdits(random);
            var patch = Diff(random.Next(4), changed);
            var mutation = random.Next(3) == 0 ? random.Next(1, 10) : 0;
            patch = Mutate(patch, mutation, random);
            var result = await DirectAsync(listing, patch);
            plain += mutation == 0 && patch.Length > 0 ? 1 : 0;
            if (result is null)
            {
                missed ??= mutation == 0 && patch.Length > 0 ? patch : null;
                continue;
            }

            direct++;
            plainDirect += mutation == 0 ? 1 : 0;
            var git = await PatchEffect.ReadAsync(_repo.Root, _parent, patch);
            Assert.True(git.Applies, $"the direct reader applied what git refuses ({git.Reason}):\n{patch}");
            Assert.Equal(git.Tree, result.Tree);
            Assert.Equal(git.Entries, result.Entries);
            Assert.Equal(git.Identity, result.Identity);
            Assert.Equal(git.Signature, result.Signature);
            compared++;
        }

        // The direct reader must carry the common case, or it buys nothing: nearly every unbent diff of git's is read directly.
        Assert.True(plainDirect >= plain * 9 / 10, $"only {plainDirect} of {plain} plain diffs were read directly; the first missed:\n{missed}");
        Assert.Equal(direct, compared);
        Assert.True(direct > plainDirect, "no bent patch was read directly, so none was compared with git");
    }

    [Theory]
    [InlineData("shifted", "@@ -4 +4 @@", "@@ -4 +6 @@")]
    [InlineData("new file", "--- a/train.py", "new file mode 100644\n--- a/train.py")]
    [InlineData("mode on the index line", "index 0000000..1111111\n", "index 0000000..1111111 100755\n")]
    [InlineData("quoted path", "diff --git a/train.py b/train.py", "diff --git \"a/train.py\" \"b/train.py\"")]
    [InlineData("empty context line", "+LR_3 = 9\n", "+LR_3 = 9\n\n")]
    [InlineData("text before the diff", "diff --git", "From: someone\n\ndiff --git")]
    [InlineData("CRLF", "+LR_3 = 9\n", "+LR_3 = 9\r\n")]
    public async Task What_the_direct_reader_does_not_read_is_left_to_git(string why, string from, string to)
    {
        var listing = await ListingAsync(_parent);
        const string Patch = "diff --git a/train.py b/train.py\nindex 0000000..1111111\n--- a/train.py\n+++ b/train.py\n@@ -4 +4 @@\n-LR_3 = 0.003\n+LR_3 = 9\n";
        Assert.NotNull(await DirectAsync(listing, Patch));

        var bent = Patch.Replace(from, to, StringComparison.Ordinal);

        Assert.NotEqual(Patch, bent);
        Assert.True(await DirectAsync(listing, bent) is null, why);
    }

    [Fact]
    public async Task A_scratch_repository_reads_plain_claims_without_git_and_the_rest_with_it()
    {
        using var scratch = await ScratchRepository.CreateAsync(_repo.Root);
        var plain = Diff(0, ("train.py", Edit(s_files["train.py"], 3, "LR_3 = 9\n")));
        var created = "diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+x = 1\n";

        var first = await scratch.ReadAsync(_parent, plain);
        var second = await scratch.ReadAsync(_parent, created);
        var byGit = await PatchEffect.ReadAsync(_repo.Root, _parent, plain);

        Assert.Equal((1L, 1L), scratch.Reads);
        Assert.Equal(byGit.Identity, first.Identity);
        Assert.Equal(byGit.Tree, first.Tree);
        Assert.True(second.Applies);
        Assert.Equal("000000", Assert.Single(second.Entries).OldMode);
    }

    [Fact]
    public async Task A_link_applied_by_git_is_written_so_patches_on_its_tree_are_read_directly()
    {
        using var scratch = await ScratchRepository.CreateAsync(_repo.Root);
        var link = await scratch.ApplyAsync(_parent, Diff(0, ("train.py", Edit(s_files["train.py"], 3, "LR_3 = 9\n"))));
        var next = Diff(0, ("train.py", Edit(s_files["train.py"], 5, "LR_5 = 7\n")));

        var onLink = await scratch.ReadAsync(link.Tree, next);

        Assert.Equal((1L, 1L), scratch.Reads);
        Assert.True(onLink.Applies);
        Assert.NotEqual(link.Tree, onLink.Tree);
        Assert.Equal(link.Entries[0].NewBlob, onLink.Entries[0].OldBlob);
    }

    [Fact]
    public async Task A_hunk_git_finds_elsewhere_is_read_by_git_at_the_place_git_finds()
    {
        using var scratch = await ScratchRepository.CreateAsync(_repo.Root);
        var shifted = Diff(1, ("train.py", Edit(s_files["train.py"], 10, "LR_10 = 5\n"))).Replace("@@ -10,3 +10,3 @@", "@@ -14,3 +14,3 @@", StringComparison.Ordinal);

        var effect = await scratch.ReadAsync(_parent, shifted);

        Assert.True(effect.Applies);
        Assert.Equal((0L, 1L), scratch.Reads);
        Assert.Equal((await PatchEffect.ReadAsync(_repo.Root, _parent, shifted)).Tree, effect.Tree);
    }

    private async Task<PatchEffect?> DirectAsync(TreeListing listing, string patch)
    {
        if (DirectPatch.Parse(patch) is not { } edits)
        {
            return null;
        }

        var contents = new Dictionary<string, byte[]>();
        foreach (var edit in edits)
        {
            if (listing.TryGetBlob(edit.Path, out _, out var blob))
            {
                contents[edit.Path] = await Task.Run(() => RunBytes("cat-file", "blob", blob));
            }
        }

        return DirectPatch.Apply(listing, edits, contents);
    }

    private async Task<TreeListing> ListingAsync(string commit)
    {
        var tree = _repo.Git("rev-parse", commit + "^{tree}");
        return await Task.Run(() => TreeListing.Parse(tree, Run("ls-tree", "-r", "-t", "-z", tree)));
    }

    /// <summary>One or two files changed at random: lines replaced, inserted, deleted, the last newline added or taken away.</summary>
    private static (string Path, string Content)[] RandomEdits(Random random)
    {
        var paths = s_files.Keys.Append("run.sh").OrderBy(_ => random.Next()).Take(random.Next(1, 3)).ToArray();
        return paths.Select(path =>
        {
            var lines = (path == "run.sh" ? "#!/bin/sh\necho run\nexit 0\n" : s_files[path]).Split('\n').ToList();
            var lastNewline = lines[^1].Length == 0;
            if (lastNewline)
            {
                lines.RemoveAt(lines.Count - 1);
            }

            for (var n = random.Next(1, 4); n > 0; n--)
            {
                var at = random.Next(lines.Count + 1);
                switch (random.Next(4))
                {
                    case 0 when at < lines.Count:
                        lines[at] = lines[at] + " # tuned " + random.Next(100).ToString(CultureInfo.InvariantCulture);
                        break;
                    case 1:
                        lines.Insert(at, random.Next(3) == 0 ? "" : "added = " + random.Next(100).ToString(CultureInfo.InvariantCulture));
                        break;
                    case 2 when at < lines.Count:
                        lines.RemoveAt(at);
                        break;
                    default:
                        lastNewline = !lastNewline;
                        break;
                }
            }

            var content = string.Join('\n', lines) + (lastNewline && lines.Count > 0 ? "\n" : "");
            return (path, content);
        }).ToArray();
    }

    /// <summary>The text of <paramref name="original"/> with its line <paramref name="line"/> (0-based) replaced.</summary>
    private static string Edit(string original, int line, string replacement)
    {
        var lines = original.Split('\n');
        lines[line] = replacement.TrimEnd('\n');
        return string.Join('\n', lines);
    }

    /// <summary>git's own diff of the work tree after writing <paramref name="changes"/>, with <paramref name="context"/> lines of context.</summary>
    private string Diff(int context, params (string Path, string Content)[] changes)
    {
        foreach (var (path, content) in changes)
        {
            File.WriteAllText(Path.Combine(_repo.Root, path), content);
        }

        try
        {
            return Run("diff", $"-U{context}", "--no-color", "--no-ext-diff");
        }
        finally
        {
            _repo.Git("checkout", "--", ".");
        }
    }

    /// <summary>Bends a diff the way a careless tool or an attacker would.</summary>
    private static string Mutate(string patch, int how, Random random)
    {
        var lines = patch.Split('\n').ToList();
        var hunks = lines.Select((l, i) => (l, i)).Where(p => p.l.StartsWith("@@ ", StringComparison.Ordinal)).Select(p => p.i).ToList();
        if (hunks.Count == 0)
        {
            return patch;
        }

        var h = hunks[random.Next(hunks.Count)];
        switch (how)
        {
            case 1:
            case 2:
                // A new start moved by a few lines.
                lines[h] = ShiftNew(lines[h], random.Next(1, 4) * (how == 1 ? 1 : -1));
                break;
            case 3:
                // A count off by one.
                lines[h] = lines[h].Replace(" @@", ",9 @@", StringComparison.Ordinal);
                break;
            case 4:
                // The index line names other blobs and a mode.
                for (var i = 0; i < lines.Count; i++)
                {
                    if (lines[i].StartsWith("index ", StringComparison.Ordinal))
                    {
                        lines[i] = "index 1234567..89abcde" + (random.Next(2) == 0 ? " 100644" : "");
                    }
                }

                break;
            case 5:
                // A hunk given twice.
                var end = h + 1;
                while (end < lines.Count && !lines[end].StartsWith("@@ ", StringComparison.Ordinal) && !lines[end].StartsWith("diff ", StringComparison.Ordinal) && lines[end].Length > 0)
                {
                    end++;
                }

                lines.InsertRange(end, lines.GetRange(h, end - h));
                break;
            case 6 when hunks.Count > 1:
                // The first two hunks swapped (taken as whole blocks up to the next header).
                var block = lines.GetRange(hunks[0], hunks[1] - hunks[0]);
                lines.RemoveRange(hunks[0], block.Count);
                var next = lines.FindIndex(hunks[0] + 1, l => l.StartsWith("@@ ", StringComparison.Ordinal) || l.StartsWith("diff ", StringComparison.Ordinal));
                lines.InsertRange(next < 0 ? lines.Count - 1 : next, block);
                break;
            case 7:
                // A context line dropped from the hunk, its count kept.
                var context = lines.FindIndex(h + 1, l => l.StartsWith(' '));
                if (context > 0)
                {
                    lines.RemoveAt(context);
                }

                break;
            case 8:
                // The "no newline" marker taken away or put in.
                var marker = lines.FindIndex(l => l.StartsWith('\\'));
                if (marker > 0)
                {
                    lines.RemoveAt(marker);
                }
                else
                {
                    lines.Insert(h + 2, "\\ No newline at end of file");
                }

                break;
            default:
                // The old start moved instead of the new one.
                lines[h] = lines[h].Replace("@@ -", "@@ -1", StringComparison.Ordinal);
                break;
        }

        return string.Join('\n', lines);
    }

    private static string ShiftNew(string header, int by)
    {
        var plus = header.IndexOf(" +", StringComparison.Ordinal) + 2;
        var end = plus;
        while (end < header.Length && char.IsAsciiDigit(header[end]))
        {
            end++;
        }

        var start = Math.Max(0, int.Parse(header[plus..end], CultureInfo.InvariantCulture) + by);
        return header[..plus] + start.ToString(CultureInfo.InvariantCulture) + header[end..];
    }

    private string Run(params string[] arguments) => Encoding.UTF8.GetString(RunBytes(arguments));

    private byte[] RunBytes(params string[] arguments)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = _repo.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output.ToArray() : throw new InvalidOperationException($"git {string.Join(' ', arguments)}: {stderr}");
    }
}
