using System.Security.Cryptography;
using AutoResearch.Core.Workspace;
using AutoResearch.Tests.Support;

namespace AutoResearch.Core.Tests.Workspace;

/// <summary>Patches are read beside a workspace, never in it: its .git is not written and its config is not read.</summary>
public sealed class ScratchRepositoryTests : IDisposable
{
    private const string Patch = "diff --git a/train.py b/train.py\n--- a/train.py\n+++ b/train.py\n@@ -1 +1 @@\n-a = 1\n+a = 2\n";
    private readonly TempGitRepo _repo = new(new Dictionary<string, string> { ["train.py"] = "a = 1\n" });

    public void Dispose() => _repo.Dispose();

    [Fact]
    public async Task Reading_a_patch_writes_nothing_into_the_workspaces_git_directory()
    {
        var parent = _repo.Git("rev-parse", "HEAD");
        var before = Snapshot(Path.Combine(_repo.Root, ".git"));
        string tree;
        using (var scratch = await ScratchRepository.CreateAsync(_repo.Root))
        {
            // Read directly (nothing written), then applied by git (written to the scratch repository alone).
            Assert.Equal((await scratch.ReadAsync(parent, Patch)).Tree, (await scratch.ApplyAsync(parent, Patch)).Tree);
            var effect = await scratch.ApplyAsync(parent, Patch);
            Assert.True(effect.Applies);
            tree = effect.Tree;
            // The new blob and tree live in the scratch repository.
            Assert.Equal("tree", TempGitRepo.Run(scratch.Path, "cat-file", "-t", tree));
        }

        Assert.Equal(before, Snapshot(Path.Combine(_repo.Root, ".git")));
        Assert.Throws<InvalidOperationException>(() => _repo.Git("cat-file", "-t", tree));
    }

    [Fact]
    public async Task The_workspaces_config_is_never_read_and_its_hooks_never_run()
    {
        var parent = _repo.Git("rev-parse", "HEAD");
        using var scratch = await ScratchRepository.CreateAsync(_repo.Root);
        var marker = Path.Combine(_repo.Root, "..", Path.GetFileName(_repo.Root) + "-marker");
        var hooks = Path.Combine(_repo.Root, "hooks");
        Directory.CreateDirectory(hooks);
        foreach (var name in (string[])["post-checkout", "post-commit", "pre-commit", "post-index-change", "fsmonitor"])
        {
            var script = Path.Combine(hooks, name);
            File.WriteAllText(script, $"#!/bin/sh\ntouch '{marker}'\n");
            File.SetUnixFileMode(script, File.GetUnixFileMode(script) | UnixFileMode.UserExecute);
        }

        // The workspace's config now names hooks and an fsmonitor, and a format no git can read: any git that reads it fails.
        File.AppendAllText(Path.Combine(_repo.Root, ".git", "config"),
            $"[core]\n\thooksPath = {hooks}\n\tfsmonitor = {Path.Combine(hooks, "fsmonitor")}\n\trepositoryformatversion = 99\n");
        Assert.Throws<InvalidOperationException>(() => _repo.Git("status"));

        var effect = await scratch.ReadAsync(parent, Patch);
        var byGit = await scratch.ApplyAsync(parent, Patch);

        Assert.True(effect.Applies && byGit.Applies);
        Assert.Equal("train.py", Assert.Single(effect.Entries).Path);
        Assert.Equal(byGit.Identity, effect.Identity);
        Assert.False(File.Exists(marker));
    }

    /// <summary>Every file under <paramref name="directory"/> with a hash of its content, in path order.</summary>
    private static string Snapshot(string directory) =>
        string.Join('\n', Directory.GetFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => $"{Path.GetRelativePath(directory, f)} {Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f)))}"));
}
