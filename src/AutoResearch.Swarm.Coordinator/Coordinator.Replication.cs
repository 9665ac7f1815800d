using System.Globalization;
using System.Security.Cryptography;
using AutoResearch.Swarm.Coordinator.Storage;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// Verification sized to the claimer's record (BOINC's adaptive replication): a claim of a key with a record of verified
/// results is reproduced by one of the owner's trusted machines alone, and at random one time in
/// <see cref="CoordinatorOptions.AuditOdds"/> by all k, so that no key knows which of its claims are checked fully. A single
/// verifier only ever settles a clean win: any doubt (a mismatch, a crash, no win) adds the rest of the k jobs, so one verifier
/// alone never convicts or rejects anyone. A caught lie resets the key's trust, and with it the record. Lies also cost time:
/// a key whose claim was false may not claim again for <see cref="CoordinatorOptions.ClaimCooldown"/>, doubling with each lie.
/// </summary>
internal sealed partial class Coordinator
{
    /// <summary>Verified results (trust) a key needs before one trusted verifier may reproduce its claims.</summary>
    public const int RecordForOneVerifier = 3;

    /// <summary>Anchor value of a job only a trusted key may take (1: any established key).</summary>
    private const int TrustedAnchor = 2;

    /// <summary>How many jobs the reproduction round of <paramref name="claimer"/>'s claim starts with: 1 or k.</summary>
    private async Task<int> ReplicasAsync(Session s, string claimer, CancellationToken cancellationToken)
    {
        // Without the owner's machines there is no verifier one could take alone: every round has k.
        if (!Anchored || Project.Verifiers <= 1)
        {
            return Project.Verifiers;
        }

        var trust = await s.ScalarAsync<long>("SELECT trust FROM workers WHERE key = @k", cancellationToken, ("@k", claimer)).ConfigureAwait(false);
        if (trust < RecordForOneVerifier || RandomNumberGenerator.GetInt32(_options.AuditOdds) == 0)
        {
            return Project.Verifiers;
        }

        // Only while a trusted machine of another owner is about to take the one job (else it would wait for one).
        var verifiers = await s.ScalarAsync<long>(
            "SELECT COUNT(*) FROM workers WHERE trusted = 1 AND owner <> (SELECT owner FROM workers WHERE key = @k) AND last_seen_ms > @since",
            cancellationToken, ("@k", claimer), ("@since", Now - (long)LeaseDuration.TotalMilliseconds)).ConfigureAwait(false);
        return verifiers > 0 ? 1 : Project.Verifiers;
    }

    /// <summary>
    /// True when a round of fewer than k jobs may be decided as it stands: its one report applies, ran, reproduces the claimed
    /// numbers (in a reproduction round) and shows a win by the acceptance rule (on the holdout too, when scored).
    /// </summary>
    private async Task<bool> CleanWinAsync(Session s, ClaimRow claim, bool reproduction, List<ReportRow> reports, CancellationToken cancellationToken)
    {
        if (reports is not [{ Applies: true, Crashed: false, Trusted: true } only])
        {
            return false;
        }

        if (reproduction && (Math.Abs(only.Candidate!.Value - claim.ClaimedMetric) > Project.Tolerance || Math.Abs(only.Parent!.Value - claim.ParentMetric) > Project.Tolerance))
        {
            return false;
        }

        var sigma = await DecisionSigmaAsync(s, cancellationToken).ConfigureAwait(false);
        var netDeletion = Core.Acceptance.AcceptanceRule.IsNetDeletion(claim.Verified);
        var verdict = Core.Acceptance.AcceptanceRule.Decide(Project.Spec.Acceptance, Project.Spec.Objective, sigma, only.Parent!.Value, [only.Candidate!.Value], netDeletion);
        return verdict.Outcome == Core.Acceptance.VerdictOutcome.Keep
            && (only.HoldoutParent is not { } hp || only.HoldoutCandidate is not { } hc || netDeletion || Project.Spec.Objective.Improvement(hc, hp) > 0);
    }

    /// <summary>Refuses a claim while its key cools down after a false one (the worker logs its win to the shared log instead).</summary>
    private static async Task CheckCooldownAsync(Session s, Caller caller, long now, CancellationToken cancellationToken)
    {
        var until = await s.ScalarAsync<long>("SELECT cooldown_ms FROM workers WHERE key = @k", cancellationToken, ("@k", caller.Key)).ConfigureAwait(false);
        if (until > now)
        {
            throw new Refusal(409, "claim quota", string.Create(CultureInfo.InvariantCulture,
                $"a claim of yours was caught false; you may claim again in {(until - now) / 1000.0:0} s (the wait doubles with each false claim)"));
        }
    }

    /// <summary>Counts a false (or refused) claim against <paramref name="key"/> and starts its cooldown.</summary>
    private async Task PenalizeAsync(Session s, string key, long now, CancellationToken cancellationToken)
    {
        var before = await s.ScalarAsync<long>("SELECT false_claims FROM workers WHERE key = @k", cancellationToken, ("@k", key)).ConfigureAwait(false);
        var wait = Math.Min(_options.ClaimCooldown.TotalMilliseconds * Math.Pow(2, Math.Min(before, 20)), TimeSpan.FromDays(1).TotalMilliseconds);
        await s.ExecAsync("UPDATE workers SET false_claims = false_claims + 1, cooldown_ms = @until WHERE key = @k",
            cancellationToken, ("@until", now + (long)wait), ("@k", key)).ConfigureAwait(false);
    }
}
