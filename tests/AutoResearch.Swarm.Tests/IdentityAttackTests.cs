using System.Text;
using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using AutoResearch.Swarm.Simulator;
using AutoResearch.Swarm.Tests.Support;
using AutoResearch.Swarm.Worker;

namespace AutoResearch.Swarm.Tests;

/// <summary>
/// Attacks on the identity of patches and on the modes and paths git reads: each sends a patch that a text match would
/// misjudge, and asserts that the coordinator judged it by what git does with it, the honest claimer keeping the credit.
/// </summary>
public sealed class IdentityAttackTests
{
    private static readonly string s_base = SyntheticObjective.BaseText;

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Signatures_an_older_coordinator_stored_are_read_again_at_start_and_keep_what_was_exposed(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var claim = await swarm.ClaimAsync(alice, s_base, swarm.BestPatch(s_base));
        await TestSwarm.LeaseAsync(bob, LeaseKind.Verify);
        // As an older coordinator left it: the claim's signature, and bob's exposure to it, in the old form.
        var target = Coordinator.DatabaseTarget.Parse(swarm.Database);
        string signature;
        await using (var store = new Coordinator.Storage.SwarmDatabase(target))
        {
            signature = (await store.ReadAsync(s => s.ScalarAsync<string>("SELECT signature FROM claims WHERE id = @id", default, ("@id", claim.ClaimId)), default))!;
            await store.WriteAsync(async s =>
            {
                await s.ExecAsync("UPDATE claims SET signature = 'old-form' WHERE id = @id", default, ("@id", claim.ClaimId));
                await s.ExecAsync("UPDATE exposed SET effect = 'old-form' WHERE effect = @sig", default, ("@sig", signature));
                return await s.ExecAsync("UPDATE state SET signature_format = NULL WHERE id = 1", default);
            }, default);
        }

        await swarm.RestartAsync();

        await using var after = new Coordinator.Storage.SwarmDatabase(target);
        Assert.Equal(signature, await after.ReadAsync(s => s.ScalarAsync<string>("SELECT signature FROM claims WHERE id = @id", default, ("@id", claim.ClaimId)), default));
        Assert.Equal(1L, await after.ReadAsync(s => s.ScalarAsync<long>("SELECT COUNT(*) FROM exposed WHERE worker = @k AND effect = @sig", default,
            ("@k", bob.Key.PublicKey), ("@sig", signature)), default));
        Assert.Equal(2L, await after.ReadAsync(s => s.ScalarAsync<long?>("SELECT signature_format FROM state WHERE id = 1", default), default));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_verifier_resending_the_patch_it_verifies_in_another_text_earns_nothing(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var patch = swarm.BestPatch(s_base);
        var (knob, value) = Knob(patch);

        var claim = await swarm.ClaimAsync(alice, s_base, patch);
        await swarm.VerifyHonestlyAsync(bob, s_base);
        // bob re-sends the patch he was sent, with three lines of context and a tab after the file names.
        var stolen = await ClaimTextAsync(swarm, bob, ContextPatch(s_base, knob, value, "\t"), patch);
        await swarm.VerifyHonestlyAsync(carol, s_base);

        Assert.Equal(ClaimStatus.Duplicate, stolen.Status);
        Assert.Contains("sent to you to verify", stolen.Reason, StringComparison.Ordinal);
        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(claim.ClaimId)).Status);
        Assert.Equal(alice.Key.PublicKey, Assert.Single(await alice.ChainAsync(0)).Worker);
        var board = await alice.LeaderboardAsync(0, 10);
        Assert.Equal(0, board.Single(e => e.Worker == bob.Key.PublicKey).ImprovementCredit);
        Assert.True(board.Single(e => e.Worker == alice.Key.PublicKey).ImprovementCredit > 0);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task Another_text_of_a_pending_claim_is_a_duplicate_whatever_its_hunk_order(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var dave = await swarm.JoinAsync("dave");
        // Two hunks in one file section, then the same change as two sections in the other order.
        var first = SyntheticObjective.Patch(s_base, 1, 0.5);
        var second = SyntheticObjective.Patch(s_base, 5, 0.5);
        var together = first + second[second.IndexOf("@@", StringComparison.Ordinal)..];
        var apart = ContextPatch(s_base, 5, 0.5, "") + ContextPatch(s_base, 1, 0.5, "");

        var claim = await ClaimTextAsync(swarm, alice, together, together);
        var copy = await ClaimTextAsync(swarm, dave, apart, together);

        Assert.Equal(ClaimStatus.Pending, claim.Status);
        Assert.Equal(ClaimStatus.Duplicate, copy.Status);
        Assert.Contains($"claimed first as #{claim.ClaimId}", copy.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_refuted_change_claimed_again_in_another_text_is_refused(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var dave = await swarm.JoinAsync("dave");
        var patch = SyntheticObjective.Patch(s_base, 3, 0.01);
        var claim = await swarm.ClaimAsync(alice, s_base, patch, claimed: 0.5);
        await swarm.VerifyHonestlyAsync(bob, s_base);
        await swarm.VerifyHonestlyAsync(carol, s_base);
        Assert.Equal(ClaimStatus.False, (await alice.ClaimStatusAsync(claim.ClaimId)).Status);

        var again = await ClaimTextAsync(swarm, dave, ContextPatch(s_base, 3, 0.01, ""), patch, claimed: 0.5);

        Assert.Equal(ClaimStatus.Duplicate, again.Status);
        Assert.Contains("found false", again.Reason, StringComparison.Ordinal);
        Assert.Null((await TestSwarm.LeaseAsync(bob, LeaseKind.Explore)).Verify);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task An_accepted_change_sent_again_is_refused_as_already_in_the_head(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var dave = await swarm.JoinAsync("dave");
        var patch = swarm.BestPatch(s_base);
        var (knob, value) = Knob(patch);
        var claim = await swarm.ClaimAsync(alice, s_base, patch);
        await swarm.VerifyHonestlyAsync(bob, s_base);
        await swarm.VerifyHonestlyAsync(carol, s_base);
        Assert.Equal(ClaimStatus.Accepted, (await alice.ClaimStatusAsync(claim.ClaimId)).Status);

        var again = await ClaimTextAsync(swarm, dave, ContextPatch(s_base, knob, value, ""), patch);

        Assert.Equal(ClaimStatus.Duplicate, again.Status);
        Assert.Contains("already in the head", again.Reason, StringComparison.Ordinal);
        Assert.Single(await alice.ChainAsync(0));
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_verifier_sent_a_claim_rebased_onto_a_newer_head_cannot_claim_it_there(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var dave = await swarm.JoinAsync("dave");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var first = swarm.BestPatch(s_base);
        var head1 = SyntheticObjective.Apply(s_base, first)!;
        var knob = Array.FindIndex(SyntheticObjective.Parse(head1), v => v != 0);
        var second = swarm.BestPatch(s_base, skip: knob);
        var a = await swarm.ClaimAsync(alice, s_base, first);
        var d = await swarm.ClaimAsync(dave, s_base, second);

        // Honest verification by bob and carol until bob is sent dave's claim rebased onto head 1 (where params.txt also holds
        // alice's change); bob then claims what he was sent, on that head, before dave's claim is decided.
        ClaimReply? stolen = null;
        var heads = new[] { s_base, head1 };
        for (var i = 0; i < 12 && (await dave.ClaimStatusAsync(d.ClaimId)).Status == ClaimStatus.Pending; i++)
        {
            var verifier = i % 2 == 0 ? bob : carol;
            var lease = (await verifier.LeaseAsync(new LeaseRequest(Verify: true))).Lease;
            if (lease?.Verify is not { } job)
            {
                continue;
            }

            if (stolen is null && verifier == bob && lease.HeadSequence == 1 && job.ClaimId == d.ClaimId)
            {
                stolen = await ClaimTextAsync(swarm, bob, job.Patch, job.Patch);
            }

            var text = heads[lease.HeadSequence];
            var candidate = SyntheticObjective.Apply(text, job.Patch)!;
            await verifier.ReportVerificationAsync(new VerificationReport(lease.Id, true, swarm.Objective.Measure(text, lease.Seed),
                swarm.Objective.Measure(candidate, lease.Seed), job.Holdout ? swarm.Objective.Measure(text, lease.Seed, holdout: true) : null,
                job.Holdout ? swarm.Objective.Measure(candidate, lease.Seed, holdout: true) : null, new string('b', 64)));
        }

        Assert.NotNull(stolen);
        Assert.Equal(ClaimStatus.Duplicate, stolen.Status);
        Assert.Contains("sent to you to verify", stolen.Reason, StringComparison.Ordinal);
        Assert.Equal(ClaimStatus.Accepted, (await dave.ClaimStatusAsync(d.ClaimId)).Status);
        Assert.Equal([a.ClaimId, d.ClaimId], (await alice.ChainAsync(0)).Select(l => l.ClaimId));
        var board = await alice.LeaderboardAsync(0, 10);
        Assert.Equal(0, board.Single(e => e.Worker == bob.Key.PublicKey).ImprovementCredit);
        Assert.True(board.Single(e => e.Worker == dave.Key.PublicKey).ImprovementCredit > 0);
    }

    public static TheoryData<string, string, string> BadPatches()
    {
        var deleted = "diff --git a/params.txt b/params.txt\ndeleted file mode 100644\n--- a/params.txt\n+++ /dev/null\n"
            + $"@@ -1,{SyntheticObjective.Knobs} +0,0 @@\n" + string.Concat(s_base.Split('\n')[..SyntheticObjective.Knobs].Select(l => "-" + l + "\n"));
        var cases = new Dictionary<string, (string Patch, string Expected)>
        {
            ["symlink as 0120000"] = (deleted + "diff --git a/params.txt b/params.txt\nnew file mode 0120000\n--- /dev/null\n+++ b/params.txt\n@@ -0,0 +1 @@\n+/etc/passwd\n\\ No newline at end of file\n", "symlink"),
            ["submodule"] = (deleted + "diff --git a/params.txt b/params.txt\nnew file mode 160000\nindex 0000000..1111111111111111111111111111111111111111\n--- /dev/null\n+++ b/params.txt\n@@ -0,0 +1 @@\n+Subproject commit 1111111111111111111111111111111111111111\n", "submodule"),
            ["mode change on a read-only file"] = ("diff --git a/prepare.txt b/prepare.txt\nold mode 100644\nnew mode 100755\n", "not editable"),
            ["path outside"] = (SyntheticObjective.Patch(s_base, 2, 0.5, "../outside.txt"), "escapes"),
            ["rename onto a symlink it makes"] = ("diff --git a/link b/link\nnew file mode 120000\n--- /dev/null\n+++ b/link\n@@ -0,0 +1 @@\n+/etc/passwd\n\\ No newline at end of file\n"
                + "diff --git a/params.txt b/link\nsimilarity index 100%\nrename from params.txt\nrename to link\n", "'link' is not editable"),
            ["copy onto a symlink it makes"] = ("diff --git a/link b/link\nnew file mode 120000\n--- /dev/null\n+++ b/link\n@@ -0,0 +1 @@\n+/etc/passwd\n\\ No newline at end of file\n"
                + "diff --git a/params.txt b/link\nsimilarity index 100%\ncopy from params.txt\ncopy to link\n", "'link' is not editable"),
            ["rename beyond a symlink it makes"] = ("diff --git a/dir b/dir\nnew file mode 120000\n--- /dev/null\n+++ b/dir\n@@ -0,0 +1 @@\n+/etc\n\\ No newline at end of file\n"
                + "diff --git a/params.txt b/dir/params.txt\nsimilarity index 100%\nrename from params.txt\nrename to dir/params.txt\n", "'dir' is not editable"),
            ["into .git"] = ("diff --git a/.git/hooks/post-checkout b/.git/hooks/post-checkout\nnew file mode 100755\n--- /dev/null\n+++ b/.git/hooks/post-checkout\n@@ -0,0 +1 @@\n+touch /tmp/x\n", "escapes"),
        };
        var data = new TheoryData<string, string, string>();
        foreach (var db in new[] { "sqlite", "postgres" })
        {
            foreach (var (name, (patch, expected)) in cases)
            {
                data.Add(db, name + "|" + patch, expected);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadPatches))]
    public async Task Symlinks_submodules_and_paths_outside_are_refused_as_git_reads_them(string db, string attack, string expected)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var mallory = await swarm.JoinAsync("mallory");
        var alice = await swarm.JoinAsync("alice");
        var patch = attack[(attack.IndexOf('|', StringComparison.Ordinal) + 1)..];

        var refused = await ClaimTextAsync(swarm, mallory, patch, swarm.BestPatch(s_base));
        var honest = await swarm.ClaimAsync(alice, s_base, swarm.BestPatch(s_base));

        Assert.Equal(ClaimStatus.Refused, refused.Status);
        Assert.Contains(expected, refused.Reason, StringComparison.Ordinal);
        Assert.Equal(ClaimStatus.Pending, honest.Status);
    }

    [Theory]
    [MemberData(nameof(TestDatabases.Kinds), MemberType = typeof(TestDatabases))]
    public async Task A_stale_claim_claimed_again_by_another_owner_is_a_duplicate_while_its_own_owner_may_claim_it_again(string db)
    {
        await using var swarm = await TestSwarm.StartAsync(db);
        var alice = await swarm.JoinAsync("alice");
        var bob = await swarm.JoinAsync("bob");
        var carol = await swarm.JoinAsync("carol");
        var dave = await swarm.JoinAsync("dave");
        var patch = swarm.BestPatch(s_base);
        var (knob, value) = Knob(patch);
        var claim = await swarm.ClaimAsync(alice, s_base, patch);
        // Both verifiers say it does not apply: stale on head 0, so the same change on head 0 has the same effect.
        foreach (var verifier in new[] { bob, carol })
        {
            var lease = await TestSwarm.LeaseAsync(verifier, LeaseKind.Verify);
            await verifier.ReportVerificationAsync(new VerificationReport(lease.Id, false, null, null));
        }

        Assert.Equal(ClaimStatus.Stale, (await alice.ClaimStatusAsync(claim.ClaimId)).Status);

        var other = await ClaimTextAsync(swarm, dave, ContextPatch(s_base, knob, value, ""), patch);
        var own = await swarm.ClaimAsync(alice, s_base, patch);

        Assert.Equal(ClaimStatus.Duplicate, other.Status);
        Assert.Contains($"claimed first as #{claim.ClaimId} by another owner", other.Reason, StringComparison.Ordinal);
        Assert.Equal(ClaimStatus.Pending, own.Status);
        Assert.NotEqual(claim.ClaimId, own.ClaimId);
    }

    /// <summary>Claims <paramref name="text"/> with honest numbers for <paramref name="same"/> (a synthetic patch with the same effect).</summary>
    private static async Task<ClaimReply> ClaimTextAsync(TestSwarm swarm, SwarmClient client, string text, string same, double? claimed = null)
    {
        var lease = await TestSwarm.LeaseAsync(client, LeaseKind.Explore, verify: false);
        var head = (await client.ChainAsync(0)).Aggregate(s_base, (code, link) => SyntheticObjective.Apply(code, link.Patch)!);
        var candidate = SyntheticObjective.Apply(head, same) ?? head;
        return await client.ClaimAsync(new ClaimRequest(lease.Id, text, swarm.Objective.Measure(head, lease.Seed),
            claimed ?? swarm.Objective.Measure(candidate, lease.Seed), new string('a', 64), "attack"));
    }

    /// <summary>The knob and value a synthetic one-line patch sets.</summary>
    private static (int Knob, double Value) Knob(string patch)
    {
        var added = patch.Split('\n').Single(l => l.StartsWith("+k", StringComparison.Ordinal));
        var parts = added[2..].Split(" = ");
        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The same change as <see cref="SyntheticObjective.Patch"/>, as <c>git diff</c> writes it: three lines of context.</summary>
    private static string ContextPatch(string text, int knob, double value, string afterName)
    {
        var lines = text.Split('\n')[..SyntheticObjective.Knobs];
        int start = Math.Max(0, knob - 3), end = Math.Min(lines.Length, knob + 4);
        var patch = new StringBuilder($"diff --git a/params.txt b/params.txt\n--- a/params.txt{afterName}\n+++ b/params.txt{afterName}\n");
        patch.Append(System.Globalization.CultureInfo.InvariantCulture, $"@@ -{start + 1},{end - start} +{start + 1},{end - start} @@\n");
        for (var i = start; i < end; i++)
        {
            patch.Append(i == knob ? $"-{lines[i]}\n+{SyntheticObjective.Line(knob, value)}" : $" {lines[i]}\n");
        }

        return patch.ToString();
    }
}
