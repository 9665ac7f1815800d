using System.Globalization;
using System.Text.Json;
using AutoResearch.Core.Records;

namespace AutoResearch.Core.Loop;

/// <summary>
/// The harness's own memory of the run. Every decision reads the experiments as the harness wrote them, never as the
/// ledger holds them now: the ledger is a file that an agent or an experiment running with the user's rights can
/// rewrite. After every phase that ran foreign code, the ledger is compared with this memory, and a difference stops
/// the run, naming what changed.
/// </summary>
public sealed partial class ResearchLoop
{
    /// <summary>
    /// Makes a write to the ledger and to the memory one step, and a comparison of the two another: with parallel slots, a
    /// comparison must never see one slot's row written to the ledger but not yet remembered (or the other way round).
    /// </summary>
    private readonly Lock _ledgerGate = new();

    /// <summary>Writes <paramref name="experiment"/> to the ledger and remembers it as the truth.</summary>
    private void Save(Session session, ExperimentRecord experiment)
    {
        lock (_ledgerGate)
        {
            _ledger.Save(experiment);
            session.Remember(experiment);
        }
    }

    private ExperimentRecord Insert(Session session, ExperimentRecord experiment)
    {
        lock (_ledgerGate)
        {
            var inserted = _ledger.Insert(experiment);
            session.Remember(inserted);
            return inserted;
        }
    }

    private ExperimentRecord InsertNext(Session session, ExperimentRecord experiment)
    {
        lock (_ledgerGate)
        {
            var inserted = _ledger.InsertNext(experiment);
            session.Remember(inserted);
            return inserted;
        }
    }

    private void Forget(Session session, long id)
    {
        lock (_ledgerGate)
        {
            _ledger.Delete(id);
            session.Forget(id);
        }
    }

    /// <summary>
    /// Compares the ledger's rows of this run with the harness's memory. Returns one line per difference (a changed field
    /// with its remembered and its current value, an added or a deleted row); empty when they agree. Rows that were changed
    /// are written back from memory, so the ledger is right again for whoever reads it next.
    /// </summary>
    private List<string> LedgerDifferences(Session session)
    {
        lock (_ledgerGate)
        {
            return LedgerDifferencesLocked(session);
        }
    }

    private List<string> LedgerDifferencesLocked(Session session)
    {
        // Read through a new connection to the path: a ledger file deleted or replaced under the harness's open connection
        // reads as what it now is, not as the inode the harness still holds.
        Dictionary<long, ExperimentRecord> stored;
        try
        {
            using var fresh = Ledger.Open(_ledger.Path);
            stored = fresh.Experiments(session.Run.Tag).ToDictionary(e => e.Id);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or WorkspaceException or IOException)
        {
            // Not a ledger any more (overwritten with garbage, or a newer schema planted): every row is gone.
            return [$"the ledger file cannot be read as a ledger any more ({e.Message})"];
        }

        var remembered = session.Experiments();
        var problems = new List<string>();
        foreach (var mine in remembered)
        {
            if (!stored.Remove(mine.Id, out var theirs))
            {
                problems.Add($"experiment #{mine.Seq} (id {mine.Id}) was deleted");
                continue;
            }

            var a = Fields(mine);
            var b = Fields(theirs);
            var changed = a.Keys.Where(k => a[k] != b[k]).ToList();
            if (changed.Count > 0)
            {
                problems.Add($"experiment #{mine.Seq} (id {mine.Id}): " +
                    string.Join("; ", changed.Select(k => $"{k} {Short(a[k])} -> {Short(b[k])}")));
                _ledger.Save(mine);
            }
        }

        foreach (var extra in stored.Values)
        {
            problems.Add($"experiment #{extra.Seq} (id {extra.Id}) was added");
        }

        return problems;
    }

    /// <summary>Stops the run when the ledger no longer says what the harness wrote, after <paramref name="phase"/>.</summary>
    /// <returns>The differences, for the experiment whose phase it was; the caller records them and then throws.</returns>
    private ResearchException? LedgerTampered(Session session, string phase)
    {
        var problems = LedgerDifferences(session);
        return problems.Count == 0
            ? null
            : new ResearchException(
                $"the ledger {_ledger.Path} was changed outside autoresearch during {phase}: {string.Join("; ", problems.Take(5))}" +
                $"{(problems.Count > 5 ? $"; and {problems.Count - 5} more" : "")}. Decisions used the harness's own record, so nothing forged was kept; " +
                "the run stops because whatever ran in that phase attacks the harness (changed rows were written back). " +
                "Run the agent in its sandbox ([agent] sandbox = \"bwrap\") and experiments with [run] sandbox = \"bwrap\", then `run` again to resume");
    }

    /// <summary>The fields of a record as the ledger stores them (non-finite numbers dropped, times in UTC), each as text.</summary>
    private static Dictionary<string, string> Fields(ExperimentRecord e)
    {
        // SQLite stores a NaN as NULL.
        static string Number(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "null";
        static string Time(DateTimeOffset? t) => t is { } v ? v.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture) : "null";
        var fields = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["tag"] = e.Tag,
            ["seq"] = e.Seq.ToString(CultureInfo.InvariantCulture),
            ["phase"] = e.Phase.ToString(),
            ["status"] = e.Status?.ToString() ?? "null",
            ["parent"] = e.ParentCommit,
            ["candidate"] = e.CandidateCommit ?? "null",
            ["description"] = e.Description ?? "null",
            ["proposer"] = e.Proposer,
            ["patch"] = e.Patch ?? "null",
            ["changed_paths"] = string.Join('\n', e.ChangedPaths),
            ["metric"] = Number(e.Metric),
            ["metrics"] = string.Join(';', e.Metrics.Where(kv => double.IsFinite(kv.Value)).OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => $"{kv.Key}={Number(kv.Value)}")),
            ["curve"] = string.Join(';', e.Curve.Where(c => double.IsFinite(c.Value)).Select(c => $"{Number(c.Progress)},{Number(c.Value)}")),
            ["runs"] = string.Join(';', e.Runs.Where(r => double.IsFinite(r.Value)).Select(r => $"{r.Seed}:{Number(r.Value)}:{Number(r.Seconds)}:{r.Curve.Count(c => double.IsFinite(c.Value))}")),
            ["exit_code"] = e.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "null",
            ["peak_memory_mb"] = Number(e.PeakMemoryMb),
            ["propose_seconds"] = Number(e.ProposeSeconds),
            ["run_seconds"] = Number(e.RunSeconds),
            ["log_path"] = e.LogPath ?? "null",
            ["tokens"] = $"{e.InputTokens}/{e.OutputTokens}",
            ["started_at"] = Time(e.StartedAt),
            ["finished_at"] = Time(e.FinishedAt),
            ["error"] = e.Error ?? "null",
            ["attempts"] = e.Attempts.ToString(CultureInfo.InvariantCulture),
            ["seed"] = e.Seed.ToString(CultureInfo.InvariantCulture),
            ["sigma"] = Number(e.Sigma),
            ["threshold"] = Number(e.Threshold),
            ["margin"] = Number(e.Margin),
            ["decision"] = e.Decision ?? "null",
            ["rebased_from"] = e.RebasedFrom ?? "null",
            ["slot"] = e.Slot.ToString(CultureInfo.InvariantCulture),
            ["cost"] = e.Cost is null ? "null" : JsonSerializer.Serialize(e.Cost, s_fieldJson),
            ["conditions"] = e.Conditions is null ? "null" : JsonSerializer.Serialize(e.Conditions, s_fieldJson),
        };

        // Text from code under research may hold a NUL, which a storage layer is free to end the text at.
        foreach (var key in fields.Keys.ToList())
        {
            var value = fields[key];
            fields[key] = value.IndexOf('\0', StringComparison.Ordinal) is var nul and >= 0 ? value[..nul] : value;
        }

        return fields;
    }

    /// <summary>Cost and conditions as the ledger stores them (a NaN as a string), so both sides compare alike.</summary>
    private static readonly JsonSerializerOptions s_fieldJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static string Short(string value) =>
        JsonSerializer.Serialize(value.Length <= 40 ? value : value[..37] + "...");
}
