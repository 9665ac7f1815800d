using AutoResearch.Core.Records;
using AutoResearch.Core.Running;
using Microsoft.Data.Sqlite;

namespace AutoResearch.Core.Tests.Records;

public sealed class LedgerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "autoresearch-tests", "ledger-" + Guid.NewGuid().ToString("N")[..12]);

    public LedgerTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Version_1_database_is_migrated_to_the_current_version_and_its_rows_still_read()
    {
        var path = Path.Combine(_folder, "v1.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // The version-1 schema exactly as it shipped, with one finished experiment.
            command.CommandText = """
                CREATE TABLE runs(tag TEXT PRIMARY KEY, branch TEXT NOT NULL, base_commit TEXT NOT NULL, metric TEXT NOT NULL,
                    direction TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT);
                CREATE TABLE experiments(id INTEGER PRIMARY KEY AUTOINCREMENT, tag TEXT NOT NULL REFERENCES runs(tag), seq INTEGER NOT NULL,
                    phase TEXT NOT NULL, status TEXT, parent_commit TEXT NOT NULL, candidate_commit TEXT, description TEXT,
                    proposer TEXT NOT NULL, patch TEXT, changed_paths TEXT NOT NULL, metric REAL, metrics TEXT NOT NULL, curve TEXT NOT NULL,
                    exit_code INTEGER, peak_memory_mb REAL, started_at TEXT NOT NULL, finished_at TEXT, propose_seconds REAL,
                    run_seconds REAL, log_path TEXT, error TEXT, attempts INTEGER NOT NULL DEFAULT 0, seed INTEGER NOT NULL, UNIQUE(tag, seq));
                CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                INSERT INTO runs VALUES ('old', 'autoresearch/old', 'abc', 'val_bpb', 'minimize', '2026-01-01T00:00:00.0000000+00:00', NULL);
                INSERT INTO experiments(tag, seq, phase, status, parent_commit, candidate_commit, description, proposer, changed_paths,
                    metric, metrics, curve, started_at, attempts, seed)
                VALUES ('old', 0, 'done', 'keep', 'abc', 'abc', 'baseline', 'baseline', '[]', 2.5, '{"val_bpb":2.5}', '[[50,3.0]]',
                    '2026-01-01T00:00:00.0000000+00:00', 1, 42);
                PRAGMA user_version = 1;
                """;
            command.ExecuteNonQuery();
        }

        using var ledger = Ledger.Open(path);

        var row = Assert.Single(ledger.Experiments("old"));
        Assert.Equal(2.5, row.Metric);
        Assert.Equal(ExperimentStatus.Keep, row.Status);
        Assert.Equal([new CurvePoint(50, 3.0)], row.Curve);
        Assert.Empty(row.Runs);
        Assert.Null(row.Sigma);
        Assert.Equal(0, row.Slot);
        Assert.Null(row.InputTokens);
        Assert.Equal(Ledger.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Version(path));
    }

    [Fact]
    public void Version_2_database_is_migrated_to_the_current_version_with_empty_token_counts()
    {
        var path = Path.Combine(_folder, "v2.db");
        using (var old = Ledger.Open(path))
        {
            old.CreateRun(new RunRecord("old", "autoresearch/old", "abc", "m", "minimize", DateTimeOffset.UnixEpoch, null));
            old.Insert(new ExperimentRecord
            {
                Tag = "old",
                Seq = 0,
                Phase = ExperimentPhase.Done,
                Status = ExperimentStatus.Keep,
                ParentCommit = "abc",
                Proposer = "baseline",
                StartedAt = DateTimeOffset.UnixEpoch,
                Seed = 42,
                Metric = 2.5,
                Slot = 1,
            });
        }

        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            // Back to the version-2 schema exactly: the token and seal columns did not exist.
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                ALTER TABLE experiments DROP COLUMN input_tokens;
                ALTER TABLE experiments DROP COLUMN output_tokens;
                ALTER TABLE experiments DROP COLUMN seal;
                ALTER TABLE runs DROP COLUMN seal;
                PRAGMA user_version = 2;
                """;
            command.ExecuteNonQuery();
        }

        Assert.Equal("2", Version(path));
        using var ledger = Ledger.Open(path);

        var row = Assert.Single(ledger.Experiments("old"));
        Assert.Equal((2.5, 1), (row.Metric!.Value, row.Slot));
        Assert.Null(row.InputTokens);
        Assert.Null(row.OutputTokens);
        Assert.Equal(Ledger.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Version(path));
        ledger.Save(row with { InputTokens = 1200, OutputTokens = 340 });
        Assert.Equal((1200L, 340L), (ledger.Get(row.Id)!.InputTokens!.Value, ledger.Get(row.Id)!.OutputTokens!.Value));
    }

    [Fact]
    public void Runs_and_decision_round_trip()
    {
        using var ledger = Ledger.Open(Path.Combine(_folder, "l.db"));
        ledger.CreateRun(new RunRecord("t", "autoresearch/t", "abc", "m", "minimize", DateTimeOffset.UnixEpoch, null));
        var e = ledger.Insert(new ExperimentRecord
        {
            Tag = "t",
            Seq = 0,
            Phase = ExperimentPhase.Done,
            Status = ExperimentStatus.Stopped,
            ParentCommit = "abc",
            Proposer = "p",
            StartedAt = DateTimeOffset.UnixEpoch,
            Seed = 1,
            Runs = [new Measurement(42, 1.5, 3.25, [new CurvePoint(10, 4)]), new Measurement(43, 1.7, 3.5, [])],
            Sigma = 0.1,
            Threshold = 0.2,
            Margin = -0.05,
            Decision = "why",
            RebasedFrom = "def",
            Slot = 3,
        });

        var read = ledger.Get(e.Id)!;

        Assert.Equal(ExperimentStatus.Stopped, read.Status);
        Assert.Equal([42, 43], read.Runs.Select(r => r.Seed));
        Assert.Equal(new CurvePoint(10, 4), read.Runs[0].Curve[0]);
        Assert.Equal((0.1, 0.2, -0.05, "why", "def", 3), (read.Sigma!.Value, read.Threshold!.Value, read.Margin!.Value, read.Decision, read.RebasedFrom, read.Slot));
    }

    [Fact]
    public async Task Concurrent_inserts_get_distinct_consecutive_sequence_numbers()
    {
        using var ledger = Ledger.Open(Path.Combine(_folder, "c.db"));
        ledger.CreateRun(new RunRecord("t", "autoresearch/t", "abc", "m", "minimize", DateTimeOffset.UnixEpoch, null));
        var template = new ExperimentRecord
        {
            Tag = "t",
            Seq = 0,
            Phase = ExperimentPhase.Proposing,
            ParentCommit = "abc",
            Proposer = "p",
            StartedAt = DateTimeOffset.UnixEpoch,
            Seed = 1,
        };

        var inserted = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 25).Select(_ => ledger.InsertNext(template).Seq).ToList())));

        Assert.Equal(Enumerable.Range(0, 200), inserted.SelectMany(s => s).Order());
        Assert.Equal(Enumerable.Range(0, 200), ledger.Experiments("t").Select(e => e.Seq));
    }

    private static string Version(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
