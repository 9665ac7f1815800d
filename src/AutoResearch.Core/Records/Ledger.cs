using System.Globalization;
using System.Text.Json;
using AutoResearch.Core.Running;
using Microsoft.Data.Sqlite;

namespace AutoResearch.Core.Records;

/// <summary>
/// The SQLite ledger at <c>.autoresearch/ledger.db</c>: every run and every experiment, its patch, metrics,
/// curve, status and timings. Schema versioned with <c>PRAGMA user_version</c>; WAL journal so a kill at
/// any moment leaves the last committed write intact. Safe to share between the loop's parallel slots: every call
/// holds one lock, and <see cref="InsertNext"/> allocates sequence numbers atomically.
/// <para>
/// Tamper-evident when opened with a <see cref="LedgerKey"/>: every write seals the rows it touches (see
/// <c>Ledger.Seals.cs</c>), and <see cref="Verify"/> reports rows that were changed, added or deleted by anything that
/// did not hold the key.
/// </para>
/// </summary>
public sealed partial class Ledger : IDisposable
{
    /// <summary>The schema version this code reads and writes.</summary>
    public const int SchemaVersion = 5;

    private const string Columns =
        "id, tag, seq, phase, status, parent_commit, candidate_commit, description, proposer, patch, changed_paths, " +
        "metric, metrics, curve, exit_code, peak_memory_mb, started_at, finished_at, propose_seconds, run_seconds, " +
        "log_path, error, attempts, seed, runs, sigma, threshold, margin, decision, rebased_from, slot, input_tokens, output_tokens";

    /// <summary>
    /// Columns added in version 5 (JSON). A row's seal covers them only when one is set, so rows sealed before they existed
    /// still verify (see <c>Ledger.Seals.cs</c>).
    /// </summary>
    private const string LaterColumns = "cost, conditions";

    private const string AllColumns = Columns + ", " + LaterColumns;

    private const string Values =
        "$tag, $seq, $phase, $status, $parent, $candidate, $description, $proposer, $patch, $changed, $metric, $metrics, $curve, $exit, " +
        "$memory, $started, $finished, $propose, $run, $log, $error, $attempts, $seed, $runs, $sigma, $threshold, $margin, $decision, " +
        "$rebased, $slot, $input_tokens, $output_tokens, $cost, $conditions";

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();
    private readonly LedgerKey? _key;

    private Ledger(SqliteConnection connection, string path, LedgerKey? key)
    {
        _connection = connection;
        Path = path;
        _key = key;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Opens (creating or migrating) the ledger at <paramref name="path"/>.</summary>
    /// <param name="path">The database file; created with its folder when missing.</param>
    /// <param name="key">
    /// The ledger's key (<see cref="LedgerKey.LoadOrCreate"/>): every write then seals the rows it touches, and
    /// <see cref="Verify"/> can check them. When the key was just created (<see cref="LedgerKey.Created"/>), the rows
    /// already in the ledger are trusted as they are and sealed now, in the same transaction as any migration. Without a
    /// key (read-only consumers such as the dashboard), writes leave their rows unsealed and <see cref="Verify"/> says the
    /// ledger cannot be checked.
    /// </param>
    /// <exception cref="ArgumentException"><paramref name="key"/> belongs to another ledger path.</exception>
    /// <exception cref="WorkspaceException">The database has a newer schema than this code understands.</exception>
    public static Ledger Open(string path, LedgerKey? key = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (key is not null && !string.Equals(key.LedgerPath, System.IO.Path.GetFullPath(path), StringComparison.Ordinal))
        {
            throw new ArgumentException($"the key {key.FilePath} belongs to the ledger {key.LedgerPath}, not {System.IO.Path.GetFullPath(path)}", nameof(key));
        }

        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        var ledger = new Ledger(connection, path, key);
        ledger.Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;");
        ledger.Migrate();
        return ledger;
    }

    public void Dispose() => _connection.Dispose();

    /// <summary>Records a new run.</summary>
    public void CreateRun(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        Write(() =>
        {
            Execute(
                "INSERT INTO runs(tag, branch, base_commit, metric, direction, started_at, finished_at) VALUES ($tag, $branch, $base, $metric, $direction, $started, NULL)",
                ("$tag", run.Tag), ("$branch", run.Branch), ("$base", run.BaseCommit), ("$metric", run.Metric),
                ("$direction", run.Direction), ("$started", Time(run.StartedAt)));
            SealRunLocked(run.Tag);
            return 0;
        });
    }

    /// <summary>Marks a run as having reached its limits.</summary>
    public void FinishRun(string tag, DateTimeOffset at) => Write(() =>
    {
        Execute("UPDATE runs SET finished_at = $at WHERE tag = $tag", ("$tag", tag), ("$at", Time(at)));
        SealRunLocked(tag);
        return 0;
    });

    /// <summary>Marks a run as open again (it is being continued).</summary>
    public void ReopenRun(string tag) => Write(() =>
    {
        Execute("UPDATE runs SET finished_at = NULL WHERE tag = $tag", ("$tag", tag));
        SealRunLocked(tag);
        return 0;
    });

    public RunRecord? GetRun(string tag) => ReadRuns("WHERE tag = $tag", ("$tag", tag)).FirstOrDefault();

    /// <summary>Every run, oldest first.</summary>
    public IReadOnlyList<RunRecord> Runs() => ReadRuns("ORDER BY started_at, rowid");

    /// <summary>Inserts a new experiment and returns it with its id.</summary>
    public ExperimentRecord Insert(ExperimentRecord experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return Write(() =>
        {
            using var command = _connection.CreateCommand();
            command.CommandText = $"INSERT INTO experiments({AllColumns[4..]}) VALUES ({Values}) RETURNING id";
            Bind(command, experiment);
            var id = (long)command.ExecuteScalar()!;
            SealExperimentLocked(id);
            SealRunLocked(experiment.Tag);
            return experiment with { Id = id };
        });
    }

    /// <summary>
    /// Inserts <paramref name="experiment"/> with the run's next sequence number (its own <c>Seq</c> is ignored),
    /// atomically, so concurrent slots never share or skip a number.
    /// </summary>
    public ExperimentRecord InsertNext(ExperimentRecord experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        return Write(() =>
        {
            long id;
            int seq;
            using (var command = _connection.CreateCommand())
            {
                command.CommandText =
                    $"INSERT INTO experiments({AllColumns[4..]}) VALUES ({Values.Replace("$seq", "(SELECT COALESCE(MAX(seq), -1) + 1 FROM experiments WHERE tag = $tag)", StringComparison.Ordinal)}) " +
                    "RETURNING id, seq";
                Bind(command, experiment);
                using var reader = command.ExecuteReader();
                reader.Read();
                (id, seq) = (reader.GetInt64(0), reader.GetInt32(1));
            }

            SealExperimentLocked(id);
            SealRunLocked(experiment.Tag);
            return experiment with { Id = id, Seq = seq };
        });
    }

    /// <summary>Writes every field of <paramref name="experiment"/> (matched by id).</summary>
    public void Save(ExperimentRecord experiment)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        Write(() =>
        {
            // The row may move to another run (a new tag): both runs' seals cover their lists of experiments.
            var oldTag = Scalar("SELECT tag FROM experiments WHERE id = $id", ("$id", experiment.Id)) as string
                ?? throw new InvalidOperationException($"experiment {experiment.Id} is not in the ledger");
            using var command = _connection.CreateCommand();
            command.CommandText =
                "UPDATE experiments SET tag=$tag, seq=$seq, phase=$phase, status=$status, parent_commit=$parent, candidate_commit=$candidate, " +
                "description=$description, proposer=$proposer, patch=$patch, changed_paths=$changed, metric=$metric, metrics=$metrics, curve=$curve, " +
                "exit_code=$exit, peak_memory_mb=$memory, started_at=$started, finished_at=$finished, propose_seconds=$propose, run_seconds=$run, " +
                "log_path=$log, error=$error, attempts=$attempts, seed=$seed, runs=$runs, sigma=$sigma, threshold=$threshold, margin=$margin, " +
                "decision=$decision, rebased_from=$rebased, slot=$slot, input_tokens=$input_tokens, output_tokens=$output_tokens, cost=$cost, conditions=$conditions WHERE id=$id";
            Bind(command, experiment);
            command.Parameters.AddWithValue("$id", experiment.Id);
            if (command.ExecuteNonQuery() != 1)
            {
                throw new InvalidOperationException($"experiment {experiment.Id} is not in the ledger");
            }

            SealExperimentLocked(experiment.Id);
            SealRunLocked(experiment.Tag);
            if (!string.Equals(oldTag, experiment.Tag, StringComparison.Ordinal))
            {
                SealRunLocked(oldTag);
            }

            return 0;
        });
    }

    /// <summary>Removes an experiment that never got past proposing (a resume proposes it afresh).</summary>
    public void Delete(long id) => Write(() =>
    {
        if (Scalar("SELECT tag FROM experiments WHERE id = $id", ("$id", id)) is string tag)
        {
            Execute("DELETE FROM experiments WHERE id = $id", ("$id", id));
            SealRunLocked(tag);
        }

        return 0;
    });

    public ExperimentRecord? Get(long id) => Read("WHERE id = $id", ("$id", id)).FirstOrDefault();

    /// <summary>A run's experiments in order, the baseline first.</summary>
    public IReadOnlyList<ExperimentRecord> Experiments(string tag) => Read("WHERE tag = $tag ORDER BY seq", ("$tag", tag));

    /// <summary>
    /// SQLite's <c>PRAGMA data_version</c> on this connection: it changes whenever another connection (another
    /// process's ledger) commits, and costs no table read, so a dashboard can poll it.
    /// </summary>
    public long DataVersion() => Convert.ToInt64(Scalar("PRAGMA data_version"), CultureInfo.InvariantCulture);

    /// <summary>A value the harness keeps for the workspace (e.g. that setup has run).</summary>
    public string? GetMeta(string key) =>
        Scalar("SELECT value FROM meta WHERE key = $key", ("$key", key)) as string;

    public void SetMeta(string key, string value) =>
        Execute("INSERT INTO meta(key, value) VALUES ($key, $value) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            ("$key", key), ("$value", value));

    /// <summary>Removes a value the harness kept (nothing when there is none).</summary>
    public void DeleteMeta(string key) => Execute("DELETE FROM meta WHERE key = $key", ("$key", key));

    /// <summary>Every kept value whose key starts with <paramref name="prefix"/>, by key.</summary>
    public IReadOnlyList<(string Key, string Value)> MetaStartingWith(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            // substr, not LIKE: a prefix may hold % or _.
            command.CommandText = "SELECT key, value FROM meta WHERE substr(key, 1, length($prefix)) = $prefix ORDER BY key";
            command.Parameters.AddWithValue("$prefix", prefix);
            var list = new List<(string, string)>();
            using var r = command.ExecuteReader();
            while (r.Read())
            {
                list.Add((r.GetString(0), r.GetString(1)));
            }

            return list;
        }
    }

    private void Migrate()
    {
        var version = Convert.ToInt32(Scalar("PRAGMA user_version"), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new WorkspaceException(
                $"{Path} has schema version {version}, newer than this autoresearch understands ({SchemaVersion}); upgrade autoresearch");
        }

        if (version < 1)
        {
            using var transaction = _connection.BeginTransaction();
            Execute("""
                CREATE TABLE IF NOT EXISTS runs(
                    tag TEXT PRIMARY KEY,
                    branch TEXT NOT NULL,
                    base_commit TEXT NOT NULL,
                    metric TEXT NOT NULL,
                    direction TEXT NOT NULL,
                    started_at TEXT NOT NULL,
                    finished_at TEXT);
                CREATE TABLE IF NOT EXISTS experiments(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    tag TEXT NOT NULL REFERENCES runs(tag),
                    seq INTEGER NOT NULL,
                    phase TEXT NOT NULL,
                    status TEXT,
                    parent_commit TEXT NOT NULL,
                    candidate_commit TEXT,
                    description TEXT,
                    proposer TEXT NOT NULL,
                    patch TEXT,
                    changed_paths TEXT NOT NULL,
                    metric REAL,
                    metrics TEXT NOT NULL,
                    curve TEXT NOT NULL,
                    exit_code INTEGER,
                    peak_memory_mb REAL,
                    started_at TEXT NOT NULL,
                    finished_at TEXT,
                    propose_seconds REAL,
                    run_seconds REAL,
                    log_path TEXT,
                    error TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    seed INTEGER NOT NULL,
                    UNIQUE(tag, seq));
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                PRAGMA user_version = 1;
                """);
            transaction.Commit();
        }

        if (version < 2)
        {
            // Version 2: repeated runs and the noise-aware decision. Added columns only, so version-1 rows read as
            // experiments with no repeats and no recorded noise.
            using var transaction = _connection.BeginTransaction();
            Execute("""
                ALTER TABLE experiments ADD COLUMN runs TEXT NOT NULL DEFAULT '[]';
                ALTER TABLE experiments ADD COLUMN sigma REAL;
                ALTER TABLE experiments ADD COLUMN threshold REAL;
                ALTER TABLE experiments ADD COLUMN margin REAL;
                ALTER TABLE experiments ADD COLUMN decision TEXT;
                ALTER TABLE experiments ADD COLUMN rebased_from TEXT;
                ALTER TABLE experiments ADD COLUMN slot INTEGER NOT NULL DEFAULT 0;
                PRAGMA user_version = 2;
                """);
            transaction.Commit();
        }

        if (version < 3)
        {
            // Version 3: tokens the proposer's model spent on each experiment. Nullable columns, so older rows read as
            // experiments proposed without a model.
            using var transaction = _connection.BeginTransaction();
            Execute("""
                ALTER TABLE experiments ADD COLUMN input_tokens INTEGER;
                ALTER TABLE experiments ADD COLUMN output_tokens INTEGER;
                PRAGMA user_version = 3;
                """);
            transaction.Commit();
        }

        if (version < 4)
        {
            // Version 4: seals that make rows tamper-evident (Ledger.Seals.cs). Nullable columns; an old ledger opened
            // with a new key is trusted as it is and sealed in this same transaction, so no unsealed moment is committed.
            using var transaction = _connection.BeginTransaction();
            Execute("""
                ALTER TABLE experiments ADD COLUMN seal TEXT;
                ALTER TABLE runs ADD COLUMN seal TEXT;
                PRAGMA user_version = 4;
                """);
            AddCostColumnsLocked();
            if (TrustsRowsNow())
            {
                SealEverythingLocked();
            }

            transaction.Commit();
        }
        else if (version < 5)
        {
            using var transaction = _connection.BeginTransaction();
            AddCostColumnsLocked();
            if (TrustsRowsNow())
            {
                SealEverythingLocked();
            }

            transaction.Commit();
        }
        else if (TrustsRowsNow())
        {
            using var transaction = _connection.BeginTransaction();
            SealEverythingLocked();
            transaction.Commit();
        }
    }

    /// <summary>
    /// Version 5: each experiment's cost and run conditions (JSON, nullable, so older rows read as unmeasured). Seals made
    /// before still verify: a seal covers these columns only when one of them is set (Ledger.Seals.cs).
    /// </summary>
    private void AddCostColumnsLocked()
    {
        // A ledger whose version was set back by hand may have them already; adding one twice would make it unreadable.
        foreach (var column in LaterColumns.Split(", "))
        {
            if (Convert.ToInt64(Scalar("SELECT COUNT(*) FROM pragma_table_info('experiments') WHERE name = $name", ("$name", column)), CultureInfo.InvariantCulture) == 0)
            {
                Execute($"ALTER TABLE experiments ADD COLUMN {column} TEXT");
            }
        }

        Execute("PRAGMA user_version = 5");
    }

    private static void Bind(SqliteCommand command, ExperimentRecord e)
    {
        var p = command.Parameters;
        p.AddWithValue("$tag", e.Tag);
        p.AddWithValue("$seq", e.Seq);
        p.AddWithValue("$phase", Name(e.Phase));
        p.AddWithValue("$status", e.Status is { } s ? Name(s) : DBNull.Value);
        p.AddWithValue("$parent", e.ParentCommit);
        p.AddWithValue("$candidate", (object?)e.CandidateCommit ?? DBNull.Value);
        p.AddWithValue("$description", (object?)e.Description ?? DBNull.Value);
        p.AddWithValue("$proposer", e.Proposer);
        p.AddWithValue("$patch", (object?)e.Patch ?? DBNull.Value);
        p.AddWithValue("$changed", JsonSerializer.Serialize(e.ChangedPaths));
        p.AddWithValue("$metric", (object?)e.Metric ?? DBNull.Value);
        p.AddWithValue("$metrics", JsonSerializer.Serialize(e.Metrics.Where(kv => double.IsFinite(kv.Value)).ToDictionary()));
        p.AddWithValue("$curve", JsonSerializer.Serialize(e.Curve.Where(c => double.IsFinite(c.Value)).Select(c => new[] { c.Progress, c.Value })));
        p.AddWithValue("$exit", (object?)e.ExitCode ?? DBNull.Value);
        p.AddWithValue("$memory", (object?)e.PeakMemoryMb ?? DBNull.Value);
        p.AddWithValue("$started", Time(e.StartedAt));
        p.AddWithValue("$finished", e.FinishedAt is { } f ? Time(f) : DBNull.Value);
        p.AddWithValue("$propose", (object?)e.ProposeSeconds ?? DBNull.Value);
        p.AddWithValue("$run", (object?)e.RunSeconds ?? DBNull.Value);
        p.AddWithValue("$log", (object?)e.LogPath ?? DBNull.Value);
        p.AddWithValue("$error", (object?)e.Error ?? DBNull.Value);
        p.AddWithValue("$attempts", e.Attempts);
        p.AddWithValue("$seed", e.Seed);
        p.AddWithValue("$runs", JsonSerializer.Serialize(e.Runs.Where(m => double.IsFinite(m.Value)).Select(m => new StoredRun(
            m.Seed, m.Value, m.Seconds, m.Curve.Where(c => double.IsFinite(c.Value)).Select(c => new[] { c.Progress, c.Value }).ToList()))));
        p.AddWithValue("$sigma", (object?)e.Sigma ?? DBNull.Value);
        p.AddWithValue("$threshold", (object?)e.Threshold ?? DBNull.Value);
        p.AddWithValue("$margin", (object?)e.Margin ?? DBNull.Value);
        p.AddWithValue("$decision", (object?)e.Decision ?? DBNull.Value);
        p.AddWithValue("$rebased", (object?)e.RebasedFrom ?? DBNull.Value);
        p.AddWithValue("$slot", e.Slot);
        p.AddWithValue("$input_tokens", (object?)e.InputTokens ?? DBNull.Value);
        p.AddWithValue("$output_tokens", (object?)e.OutputTokens ?? DBNull.Value);
        p.AddWithValue("$cost", e.Cost is null ? DBNull.Value : JsonSerializer.Serialize(e.Cost, s_finite));
        p.AddWithValue("$conditions", e.Conditions is null ? DBNull.Value : JsonSerializer.Serialize(e.Conditions, s_finite));
    }

    /// <summary>JSON for the cost and conditions columns: a non-finite number (a run that printed NaN) is written as a string, never refused.</summary>
    private static readonly JsonSerializerOptions s_finite = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>A measurement as stored in the <c>runs</c> column (curves as [progress, value] pairs, like <c>curve</c>).</summary>
    private sealed record StoredRun(int Seed, double Value, double Seconds, List<double[]> Curve);

    private List<ExperimentRecord> Read(string where, params (string Name, object Value)[] parameters)
    {
        lock (_gate)
        {
            return ReadLocked(where, parameters);
        }
    }

    private List<ExperimentRecord> ReadLocked(string where, (string Name, object Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT {AllColumns} FROM experiments {where}";
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var list = new List<ExperimentRecord>();
        using var r = command.ExecuteReader();
        while (r.Read())
        {
            list.Add(new ExperimentRecord
            {
                Id = r.GetInt64(0),
                Tag = r.GetString(1),
                Seq = r.GetInt32(2),
                Phase = Enum.Parse<ExperimentPhase>(r.GetString(3), ignoreCase: true),
                Status = r.IsDBNull(4) ? null : Enum.Parse<ExperimentStatus>(r.GetString(4), ignoreCase: true),
                ParentCommit = r.GetString(5),
                CandidateCommit = NullableString(r, 6),
                Description = NullableString(r, 7),
                Proposer = r.GetString(8),
                Patch = NullableString(r, 9),
                ChangedPaths = JsonSerializer.Deserialize<List<string>>(r.GetString(10)) ?? [],
                Metric = r.IsDBNull(11) ? null : r.GetDouble(11),
                Metrics = JsonSerializer.Deserialize<Dictionary<string, double>>(r.GetString(12)) ?? [],
                Curve = (JsonSerializer.Deserialize<List<double[]>>(r.GetString(13)) ?? []).Select(c => new CurvePoint(c[0], c[1])).ToList(),
                ExitCode = r.IsDBNull(14) ? null : r.GetInt32(14),
                PeakMemoryMb = r.IsDBNull(15) ? null : r.GetDouble(15),
                StartedAt = DateTimeOffset.Parse(r.GetString(16), CultureInfo.InvariantCulture),
                FinishedAt = r.IsDBNull(17) ? null : DateTimeOffset.Parse(r.GetString(17), CultureInfo.InvariantCulture),
                ProposeSeconds = r.IsDBNull(18) ? null : r.GetDouble(18),
                RunSeconds = r.IsDBNull(19) ? null : r.GetDouble(19),
                LogPath = NullableString(r, 20),
                Error = NullableString(r, 21),
                Attempts = r.GetInt32(22),
                Seed = r.GetInt32(23),
                Runs = (JsonSerializer.Deserialize<List<StoredRun>>(r.GetString(24)) ?? [])
                    .Select(m => new Measurement(m.Seed, m.Value, m.Seconds, m.Curve.Select(c => new CurvePoint(c[0], c[1])).ToList()))
                    .ToList(),
                Sigma = r.IsDBNull(25) ? null : r.GetDouble(25),
                Threshold = r.IsDBNull(26) ? null : r.GetDouble(26),
                Margin = r.IsDBNull(27) ? null : r.GetDouble(27),
                Decision = NullableString(r, 28),
                RebasedFrom = NullableString(r, 29),
                Slot = r.GetInt32(30),
                InputTokens = r.IsDBNull(31) ? null : r.GetInt64(31),
                OutputTokens = r.IsDBNull(32) ? null : r.GetInt64(32),
                Cost = r.IsDBNull(33) ? null : JsonSerializer.Deserialize<ExperimentCost>(r.GetString(33), s_finite),
                Conditions = r.IsDBNull(34) ? null : JsonSerializer.Deserialize<RunConditions>(r.GetString(34), s_finite),
            });
        }

        return list;
    }

    private List<RunRecord> ReadRuns(string where, params (string Name, object Value)[] parameters)
    {
        lock (_gate)
        {
            return ReadRunsLocked(where, parameters);
        }
    }

    private List<RunRecord> ReadRunsLocked(string where, (string Name, object Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT tag, branch, base_commit, metric, direction, started_at, finished_at FROM runs {where}";
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var list = new List<RunRecord>();
        using var r = command.ExecuteReader();
        while (r.Read())
        {
            list.Add(new RunRecord(
                r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
                DateTimeOffset.Parse(r.GetString(5), CultureInfo.InvariantCulture),
                r.IsDBNull(6) ? null : DateTimeOffset.Parse(r.GetString(6), CultureInfo.InvariantCulture)));
        }

        return list;
    }

    private void Execute(string sql, params (string Name, object Value)[] parameters)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            command.ExecuteNonQuery();
        }
    }

    /// <summary>Runs <paramref name="write"/> under the lock in one immediate transaction, so a write and its seals commit together.</summary>
    private T Write<T>(Func<T> write)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            var result = write();
            transaction.Commit();
            return result;
        }
    }

    private object? Scalar(string sql, params (string Name, object Value)[] parameters)
    {
        lock (_gate)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            return command.ExecuteScalar();
        }
    }

    private static string? NullableString(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    /// <summary>The lower-case name used in the ledger and results.tsv.</summary>
    public static string Name(ExperimentStatus status) => status.ToString().ToLowerInvariant();

    private static string Name(ExperimentPhase phase) => phase.ToString().ToLowerInvariant();
}
