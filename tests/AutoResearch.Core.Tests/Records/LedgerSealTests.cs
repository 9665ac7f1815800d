using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using Microsoft.Data.Sqlite;

namespace AutoResearch.Core.Tests.Records;

/// <summary>
/// Attacks on the sealed ledger: a forger with a plain SQLite connection (what an agent running as the user has) rewrites,
/// adds, deletes and reorders rows, and <see cref="Ledger.Verify"/> must name each change.
/// </summary>
public sealed class LedgerSealTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "seal-" + Guid.NewGuid().ToString("N")[..12]);

    public LedgerSealTests()
    {
        Directory.CreateDirectory(_folder);
        LedgerPath = Path.Combine(_folder, "workspace", ".autoresearch", "ledger.db");
        Keys = Path.Combine(_folder, "config", "autoresearch", "ledger-keys");
    }

    private string LedgerPath { get; }

    private string Keys { get; }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Untouched_ledger_verifies_clean_after_many_inserts_saves_and_deletes()
    {
        using (var ledger = Ledger.Open(LedgerPath, LedgerKey.LoadOrCreate(LedgerPath, Keys)))
        {
            ledger.CreateRun(Run("a"));
            ledger.CreateRun(Run("b"));
            var rows = Enumerable.Range(0, 30).Select(i => ledger.InsertNext(Experiment(i % 2 == 0 ? "a" : "b", 0))).ToList();
            foreach (var row in rows.Where(r => r.Seq % 3 == 0))
            {
                ledger.Save(row with { Phase = ExperimentPhase.Done, Status = ExperimentStatus.Discard, Metric = 1.0 / (row.Id + 3), Decision = "worse" });
            }

            foreach (var row in rows.Where(r => r.Seq % 4 == 1))
            {
                ledger.Delete(row.Id);
            }

            ledger.Insert(Experiment("a", 100));
            ledger.Save(ledger.Get(rows.First(r => r.Tag == "a" && r.Seq % 4 != 1).Id)! with { Tag = "b", Seq = 200 });
            ledger.FinishRun("a", DateTimeOffset.UnixEpoch.AddHours(1));
            ledger.ReopenRun("a");
            ledger.FinishRun("b", DateTimeOffset.UnixEpoch.AddHours(2));
        }

        using var reopened = Ledger.Open(LedgerPath, LedgerKey.LoadIfExists(LedgerPath, Keys));

        Assert.Empty(reopened.VerifyAll());
        Assert.Equal(0L, Raw("SELECT COUNT(*) FROM experiments WHERE seal IS NULL"));
        Assert.Equal(0L, Raw("SELECT COUNT(*) FROM runs WHERE seal IS NULL"));
    }

    [Fact]
    public async Task Concurrent_sealed_inserts_verify_clean()
    {
        using var ledger = Ledger.Open(LedgerPath, LedgerKey.LoadOrCreate(LedgerPath, Keys));
        ledger.CreateRun(Run("t"));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 20; i++)
            {
                var e = ledger.InsertNext(Experiment("t", 0));
                ledger.Save(e with { Phase = ExperimentPhase.Done, Status = ExperimentStatus.Keep, Metric = e.Id * 0.1 });
            }
        })));

        Assert.Equal(80, ledger.Experiments("t").Count);
        Assert.Empty(ledger.Verify("t"));
    }

    [Fact]
    public void Reading_and_saving_a_row_unchanged_keeps_its_seal()
    {
        using var ledger = Ledger.Open(LedgerPath, LedgerKey.LoadOrCreate(LedgerPath, Keys));
        ledger.CreateRun(Run("t"));
        var inserted = ledger.InsertNext(Experiment("t", 0) with
        {
            Phase = ExperimentPhase.Done,
            Status = ExperimentStatus.Keep,
            Metric = 0.1 + 0.2,
            Metrics = new Dictionary<string, double> { ["val_bpb"] = 0.1 + 0.2, ["z"] = 1e-300, ["a"] = -0.0 },
            Curve = [new CurvePoint(0.5, Math.PI), new CurvePoint(1, 1.0 / 3)],
            Runs = [new Measurement(7, 2.0 / 3, 12.125, [new CurvePoint(0.25, Math.E)])],
            StartedAt = new DateTimeOffset(2026, 3, 1, 9, 30, 15, 123, TimeSpan.FromHours(5.5)),
            FinishedAt = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.FromHours(-7)),
            ChangedPaths = ["train.py", "ünïcode.py"],
            Description = "line one\nline two",
            Sigma = 1e-17,
            InputTokens = 1_234_567_890_123,
        });
        var before = Seal(inserted.Id);

        ledger.Save(ledger.Get(inserted.Id)!);
        var afterRead = Seal(inserted.Id);
        ledger.Save(inserted);

        Assert.NotNull(before);
        Assert.Equal(before, afterRead);
        Assert.Equal(before, Seal(inserted.Id));
        Assert.Empty(ledger.Verify("t"));
    }

    [Fact]
    public void Saving_a_real_change_changes_the_seal()
    {
        using var ledger = Ledger.Open(LedgerPath, LedgerKey.LoadOrCreate(LedgerPath, Keys));
        ledger.CreateRun(Run("t"));
        var e = ledger.InsertNext(Experiment("t", 0) with { Metric = 2.5 });
        var before = Seal(e.Id);

        ledger.Save(e with { Metric = 2.4999999999999996 });

        Assert.NotEqual(before, Seal(e.Id));
        Assert.Empty(ledger.Verify("t"));
    }

    public static TheoryData<string, string, string> Forgeries => new()
    {
        // (a) the baseline's metric lowered so that a worse change looks like a win
        { "metric", "UPDATE experiments SET metric = 0.5 WHERE id = 1", "experiment #0 (id 1): its row was changed outside autoresearch (seal does not match)" },
        { "metrics json", "UPDATE experiments SET metrics = '{\"val_bpb\":0.5}' WHERE id = 1", "experiment #0 (id 1): its row was changed outside autoresearch" },
        // (b) a discard turned into a keep
        { "status", "UPDATE experiments SET status = 'keep' WHERE seq = 2", "experiment #2 (id 3): its row was changed outside autoresearch" },
        // (c) an embarrassing row deleted
        { "delete", "DELETE FROM experiments WHERE seq = 3", "run nov28: an experiment row was added, deleted or moved" },
        // (d) a row added, unsealed or with a copied seal
        { "insert unsealed", InsertCopyOfSeq1(copySeal: false), "experiment #5 (id 7) has no seal" },
        { "insert with a copied seal", InsertCopyOfSeq1(copySeal: true), "experiment #5 (id 7): its row was changed outside autoresearch" },
        { "insert, run check", InsertCopyOfSeq1(copySeal: true), "run nov28: an experiment row was added, deleted or moved" },
        // (e) one row's seal pasted onto another, rewritten row
        { "copied seal", "UPDATE experiments SET status = 'keep', seal = (SELECT seal FROM experiments WHERE seq = 1) WHERE seq = 2", "experiment #2 (id 3): its row was changed outside autoresearch" },
        // (f) two rows' seq swapped, nothing recomputed
        { "swap seq, first", SwapSeq, "experiment #1 (id 3): its row was changed outside autoresearch" },
        { "swap seq, second", SwapSeq, "experiment #2 (id 2): its row was changed outside autoresearch" },
        // and more: a seal removed, the run row edited, a seal that is not hex, a row's id changed
        { "seal removed", "UPDATE experiments SET seal = NULL WHERE seq = 1", "experiment #1 (id 2) has no seal" },
        { "run row", "UPDATE runs SET base_commit = 'evil' WHERE tag = 'nov28'", "run nov28: an experiment row was added, deleted or moved, or the run's own row was changed" },
        { "run seal removed", "UPDATE runs SET seal = NULL WHERE tag = 'nov28'", "run nov28 has no seal" },
        { "seal of another type", "UPDATE experiments SET seal = 42 WHERE seq = 1", "experiment #1 (id 2): its row was changed outside autoresearch" },
        { "id changed", "UPDATE experiments SET id = 99 WHERE seq = 3", "experiment #3 (id 99): its row was changed outside autoresearch" },
    };

    [Theory]
    [MemberData(nameof(Forgeries))]
    public void Forged_rows_are_reported(string forgery, string sql, string expected)
    {
        SealedRun();
        using (var before = Ledger.Open(LedgerPath, LedgerKey.LoadIfExists(LedgerPath, Keys)))
        {
            Assert.Empty(before.Verify("nov28"));
        }

        Forge(sql);
        using var ledger = Ledger.Open(LedgerPath, LedgerKey.LoadIfExists(LedgerPath, Keys));
        var problems = ledger.Verify("nov28");

        Assert.True(problems.Any(p => p.Contains(expected, StringComparison.Ordinal)), $"{forgery}: {string.Join(" | ", problems)}");
        Assert.All(problems, p => Assert.DoesNotContain('\n', p));
        Assert.All(problems, p => Assert.Contains("the ledger cannot be trusted", p, StringComparison.Ordinal));
        Assert.Equal(problems.Select(p => "run nov28: " + p).Select(p => p.Replace("run nov28: run nov28", "run nov28", StringComparison.Ordinal)), ledger.VerifyAll());
    }

    [Fact]
    public void Row_moved_to_a_run_that_does_not_exist_is_reported_by_verify_all()
    {
        SealedRun();

        Forge("UPDATE experiments SET tag = 'ghost' WHERE seq = 2");
        using var ledger = Ledger.Open(LedgerPath, LedgerKey.LoadIfExists(LedgerPath, Keys));
        var problems = ledger.VerifyAll();

        Assert.Contains(problems, p => p.StartsWith("experiment #2 (id 3) names run ghost, which is not in the ledger", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("run nov28: an experiment row was added, deleted or moved", StringComparison.Ordinal));
    }

    [Fact]
    public void Forger_who_wipes_the_trust_record_does_not_get_the_rows_resealed()
    {
        SealedRun();

        // Change a row, drop every trace of sealing, and pretend the ledger predates seals.
        Forge("""
            UPDATE experiments SET metric = 0.5 WHERE id = 1;
            DELETE FROM meta WHERE key IN ('sealed_at', 'seal_key');
            ALTER TABLE experiments DROP COLUMN seal;
            ALTER TABLE runs DROP COLUMN seal;
            PRAGMA user_version = 3;
            """);
        var key = LedgerKey.LoadOrCreate(LedgerPath, Keys);
        using var ledger = Ledger.Open(LedgerPath, key);
        var problems = ledger.Verify("nov28");

        Assert.False(key.Created);
        Assert.Contains("experiment #0 (id 1) has no seal: it was added outside autoresearch or written without the ledger key", problems[0], StringComparison.Ordinal);
        Assert.Equal(6, problems.Count);
    }

    [Fact]
    public void Writer_without_the_key_leaves_its_rows_unsealed_and_they_are_reported()
    {
        SealedRun();

        using (var keyless = Ledger.Open(LedgerPath))
        {
            var row = keyless.Experiments("nov28")[1];
            keyless.Save(row with { Status = ExperimentStatus.Keep });
        }

        using var ledger = Ledger.Open(LedgerPath, LedgerKey.LoadIfExists(LedgerPath, Keys));
        var problems = ledger.Verify("nov28");

        Assert.Equal(
            ["experiment #1 (id 2) has no seal", "run nov28 has no seal"],
            problems.Select(p => p[..p.IndexOf(':', StringComparison.Ordinal)]));
    }

    [Fact]
    public void Ledger_opened_without_its_key_says_it_cannot_be_checked_and_where_the_key_should_be()
    {
        SealedRun();

        using var ledger = Ledger.Open(LedgerPath);
        var problem = Assert.Single(ledger.Verify("nov28"));

        Assert.False(ledger.IsSealing);
        Assert.Contains("cannot be checked", problem, StringComparison.Ordinal);
        Assert.Contains(LedgerKey.PathFor(LedgerPath), problem, StringComparison.Ordinal);
        Assert.Equal([problem], ledger.VerifyAll());
    }

    [Fact]
    public void Ledger_sealed_with_another_key_says_so_once()
    {
        SealedRun();
        var otherKeys = Path.Combine(_folder, "other-keys");
        LedgerKey.LoadOrCreate(LedgerPath, otherKeys);

        var other = LedgerKey.LoadIfExists(LedgerPath, otherKeys)!;
        using var ledger = Ledger.Open(LedgerPath, other);
        var problem = Assert.Single(ledger.Verify("nov28"));

        Assert.StartsWith("the ledger was sealed with another key", problem, StringComparison.Ordinal);
        Assert.Contains(other.FilePath, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_is_created_once_with_mode_0600_outside_the_workspace_and_named_by_the_ledger_path()
    {
        var created = LedgerKey.LoadOrCreate(LedgerPath, Keys);
        var loaded = LedgerKey.LoadOrCreate(LedgerPath, Keys);

        var expectedName = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(LedgerPath))))[..32] + ".key";
        Assert.Equal(Path.Combine(Keys, expectedName), created.FilePath);
        Assert.Equal(created.FilePath, LedgerKey.PathFor(LedgerPath, Keys));
        Assert.False(created.FilePath.StartsWith(Path.Combine(_folder, "workspace"), StringComparison.Ordinal));
        Assert.Equal(LedgerKey.Length, new FileInfo(created.FilePath).Length);
        Assert.Equal((true, false), (created.Created, loaded.Created));
        Assert.Equal(created.Id, loaded.Id);
        Assert.Single(Directory.GetFiles(Keys));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(created.FilePath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Keys));
        }
    }

    [Fact]
    public void Key_lookup_never_creates_and_a_damaged_key_is_refused()
    {
        Assert.Null(LedgerKey.LoadIfExists(LedgerPath, Keys));
        Assert.False(Directory.Exists(Keys));

        Directory.CreateDirectory(Keys);
        File.WriteAllBytes(LedgerKey.PathFor(LedgerPath, Keys), new byte[5]);
        var e = Assert.Throws<WorkspaceException>(() => LedgerKey.LoadOrCreate(LedgerPath, Keys));

        Assert.Contains("is 5 bytes, not 32", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_of_another_ledger_is_refused()
    {
        var key = LedgerKey.LoadOrCreate(Path.Combine(_folder, "elsewhere.db"), Keys);

        var e = Assert.Throws<ArgumentException>(() => Ledger.Open(LedgerPath, key));

        Assert.Contains("belongs to the ledger", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Version_3_ledger_opened_with_a_new_key_is_sealed_as_it_stands()
    {
        Version3Ledger();

        using var ledger = Ledger.Open(LedgerPath, LedgerKey.LoadOrCreate(LedgerPath, Keys));

        Assert.Equal((long)Ledger.SchemaVersion, Raw("PRAGMA user_version"));
        Assert.Equal(0L, Raw("SELECT COUNT(*) FROM experiments WHERE seal IS NULL"));
        Assert.Equal(0L, Raw("SELECT COUNT(*) FROM runs WHERE seal IS NULL"));
        Assert.NotNull(ledger.GetMeta(Ledger.SealedAtMeta));
        Assert.Empty(ledger.VerifyAll());
        Forge("UPDATE experiments SET metric = 0.5 WHERE id = 1");
        Assert.Contains(ledger.Verify("nov28"), p => p.StartsWith("experiment #0 (id 1): its row was changed", StringComparison.Ordinal));
    }

    [Fact]
    public void Version_3_ledger_opened_without_a_key_is_migrated_unsealed_and_sealed_by_the_first_new_key()
    {
        Version3Ledger();

        using (var keyless = Ledger.Open(LedgerPath))
        {
            Assert.Equal((long)Ledger.SchemaVersion, Raw("PRAGMA user_version"));
            Assert.Equal(6L, Raw("SELECT COUNT(*) FROM experiments WHERE seal IS NULL"));
            Assert.Null(keyless.GetMeta(Ledger.SealedAtMeta));
        }

        using var ledger = Ledger.Open(LedgerPath, LedgerKey.LoadOrCreate(LedgerPath, Keys));

        Assert.Empty(ledger.VerifyAll());
        Assert.NotNull(ledger.GetMeta(Ledger.SealedAtMeta));
    }

    [Fact]
    public void Version_4_ledger_sealed_before_costs_existed_still_verifies_and_sealed_costs_cannot_be_cleared_or_changed()
    {
        SealedRun();
        Forge("""
            ALTER TABLE experiments DROP COLUMN cost;
            ALTER TABLE experiments DROP COLUMN conditions;
            PRAGMA user_version = 4;
            """);

        using var ledger = Ledger.Open(LedgerPath, LedgerKey.LoadIfExists(LedgerPath, Keys));

        Assert.Equal((long)Ledger.SchemaVersion, Raw("PRAGMA user_version"));
        Assert.Empty(ledger.VerifyAll());
        Assert.Null(ledger.Get(2)!.Cost);
        ledger.Save(ledger.Get(2)! with
        {
            Cost = new ExperimentCost { Seconds = 61.5, Tokens = 2.4e6, Params = 8e5, MemoryMb = 410, TokensPerSecond = 40_000 },
            Conditions = new RunConditions { ToolVersion = "0.1.0", Cpu = "test cpu", Cores = 2, Load = 1.5, Warnings = ["busy"] },
        });
        Assert.Empty(ledger.VerifyAll());
        var read = ledger.Get(2)!;
        Assert.Equal(2.4e6, read.Cost!.Tokens);
        Assert.Equal("busy", Assert.Single(read.Conditions!.Warnings));

        Forge("UPDATE experiments SET cost = NULL, conditions = NULL WHERE id = 2");
        Assert.Contains(ledger.Verify("nov28"), p => p.StartsWith("experiment #1 (id 2): its row was changed", StringComparison.Ordinal));
        Forge("UPDATE experiments SET cost = '{\"Seconds\":10}' WHERE id = 3");
        Assert.Contains(ledger.Verify("nov28"), p => p.StartsWith("experiment #2 (id 3): its row was changed", StringComparison.Ordinal));
    }

    /// <summary>Run <c>nov28</c>: a baseline and four proposals (ids 1..5, seq 0..4) and a second run, sealed.</summary>
    private void SealedRun()
    {
        using var ledger = Ledger.Open(LedgerPath, LedgerKey.LoadOrCreate(LedgerPath, Keys));
        Populate(ledger);
    }

    private void Version3Ledger()
    {
        using (var ledger = Ledger.Open(LedgerPath))
        {
            Populate(ledger);
        }

        Forge("""
            ALTER TABLE experiments DROP COLUMN seal;
            ALTER TABLE runs DROP COLUMN seal;
            ALTER TABLE experiments DROP COLUMN cost;
            ALTER TABLE experiments DROP COLUMN conditions;
            PRAGMA user_version = 3;
            """);
    }

    private static void Populate(Ledger ledger)
    {
        ledger.CreateRun(Run("nov28"));
        for (var i = 0; i < 5; i++)
        {
            var e = ledger.InsertNext(Experiment("nov28", 0));
            ledger.Save(e with
            {
                Phase = ExperimentPhase.Done,
                Status = i is 0 or 1 ? ExperimentStatus.Keep : ExperimentStatus.Discard,
                Metric = 2.0 - (i == 1 ? 0.1 : -0.1 * i),
                Metrics = new Dictionary<string, double> { ["val_bpb"] = 2.0 },
            });
        }

        ledger.CreateRun(Run("other"));
        ledger.InsertNext(Experiment("other", 0));
    }

    private static string InsertCopyOfSeq1(bool copySeal) =>
        "INSERT INTO experiments(tag, seq, phase, status, parent_commit, candidate_commit, description, proposer, patch, changed_paths, metric, " +
        $"metrics, curve, started_at, attempts, seed{(copySeal ? ", seal" : "")}) SELECT tag, 5, phase, 'keep', parent_commit, candidate_commit, " +
        $"'forged', proposer, patch, changed_paths, 0.1, metrics, curve, started_at, attempts, seed{(copySeal ? ", seal" : "")} FROM experiments WHERE tag = 'nov28' AND seq = 1";

    private const string SwapSeq = """
        UPDATE experiments SET seq = -1 WHERE tag = 'nov28' AND seq = 1;
        UPDATE experiments SET seq = 1 WHERE tag = 'nov28' AND seq = 2;
        UPDATE experiments SET seq = 2 WHERE tag = 'nov28' AND seq = -1;
        """;

    private static RunRecord Run(string tag) => new(tag, "autoresearch/" + tag, "abc", "val_bpb", "minimize", DateTimeOffset.UnixEpoch, null);

    private static ExperimentRecord Experiment(string tag, int seq) => new()
    {
        Tag = tag,
        Seq = seq,
        Phase = ExperimentPhase.Proposing,
        ParentCommit = "abc",
        Proposer = "cli",
        StartedAt = DateTimeOffset.UnixEpoch,
        Seed = 42,
    };

    /// <summary>What a hostile agent can do: open the database with its own connection (foreign keys off, as in the sqlite3 shell).</summary>
    private void Forge(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={LedgerPath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA foreign_keys = OFF; " + sql;
        command.ExecuteNonQuery();
    }

    private object? Raw(string sql)
    {
        using var connection = new SqliteConnection($"Data Source={LedgerPath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    private string? Seal(long id) => (string?)Raw($"SELECT seal FROM experiments WHERE id = {id.ToString(CultureInfo.InvariantCulture)}");
}
