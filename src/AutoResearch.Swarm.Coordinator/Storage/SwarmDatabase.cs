using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace AutoResearch.Swarm.Coordinator.Storage;

/// <summary>
/// The coordinator's only state: SQLite (one coordinator, writes serialized in-process, WAL for concurrent reads) or
/// PostgreSQL (any number of coordinators; work leased with <c>FOR UPDATE SKIP LOCKED</c>; the head row locked for chain changes).
/// </summary>
internal sealed class SwarmDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _postgres;
    private readonly SemaphoreSlim _sqliteWriter = new(1, 1);
    private readonly AsyncLocal<Session?> _request = new();

    public SwarmDatabase(DatabaseTarget target)
    {
        Target = target;
        if (target.IsPostgres)
        {
            _postgres = NpgsqlDataSource.Create(target.ConnectionString);
        }
    }

    public DatabaseTarget Target { get; }

    public bool IsPostgres => Target.IsPostgres;

    /// <summary>
    /// Runs <paramref name="work"/> in one transaction; retried on PostgreSQL serialization failures and deadlocks. Inside
    /// <see cref="InRequestAsync"/> it runs in the request's transaction instead, under a savepoint: a failure undoes only its own
    /// changes (and the exception still propagates), success commits with the request.
    /// </summary>
    public async Task<T> WriteAsync<T>(Func<Session, Task<T>> work, CancellationToken cancellationToken)
    {
        if (_request.Value is { } ambient)
        {
            return await UnderSavepointAsync(ambient, work, cancellationToken).ConfigureAwait(false);
        }

        return await InTransactionAsync(work, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a whole request in one transaction: every <see cref="WriteAsync{T}"/> and <see cref="ReadAsync{T}"/> that
    /// <paramref name="work"/> makes (in its own async flow) joins it, so the request's effects, its nonce and its stored reply
    /// commit together or not at all, with one commit instead of one per step. On a PostgreSQL deadlock the whole of
    /// <paramref name="work"/> runs again, so it must be safe to repeat until it returns.
    /// </summary>
    public Task<T> InRequestAsync<T>(Func<Session, Task<T>> work, CancellationToken cancellationToken)
    {
        if (_request.Value is not null)
        {
            throw new InvalidOperationException("a request transaction is already open in this flow");
        }

        return InTransactionAsync(async session =>
        {
            _request.Value = session;
            try
            {
                return await work(session).ConfigureAwait(false);
            }
            finally
            {
                _request.Value = null;
            }
        }, cancellationToken);
    }

    private async Task<T> InTransactionAsync<T>(Func<Session, Task<T>> work, CancellationToken cancellationToken)
    {
        if (!IsPostgres)
        {
            await _sqliteWriter.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            for (var attempt = 1; ; attempt++)
            {
                await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var result = await work(new Session(connection, transaction, IsPostgres)).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return result;
                }
                catch (PostgresException e) when (attempt < 5 && e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected)
                {
                    // Two transactions raced for the same rows: this one rolled back whole, so run it again.
                    await Task.Delay(5 * attempt, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (!IsPostgres)
            {
                _sqliteWriter.Release();
            }
        }
    }

    private static async Task<T> UnderSavepointAsync<T>(Session session, Func<Session, Task<T>> work, CancellationToken cancellationToken)
    {
        var transaction = session.Transaction!;
        var name = session.NextSavepoint();
        await transaction.SaveAsync(name, cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await work(session).ConfigureAwait(false);
            await transaction.ReleaseAsync(name, cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected)
        {
            // PostgreSQL aborted the whole transaction: nothing to roll back to; the request runs again from the start.
            throw;
        }
        catch
        {
            await transaction.RollbackAsync(name, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Runs <paramref name="work"/> outside a transaction (reads); inside <see cref="InRequestAsync"/>, in the request's.</summary>
    public async Task<T> ReadAsync<T>(Func<Session, Task<T>> work, CancellationToken cancellationToken)
    {
        if (_request.Value is { } ambient)
        {
            return await work(ambient).ConfigureAwait(false);
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await work(new Session(connection, null, IsPostgres)).ConfigureAwait(false);
    }

    /// <summary>Creates the tables when missing and checks that the database belongs to <paramref name="project"/>.</summary>
    public async Task EnsureSchemaAsync(SwarmProject project, CancellationToken cancellationToken)
    {
        if (!IsPostgres)
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var wal = connection.CreateCommand();
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var baseCommit = await WriteAsync(async session =>
        {
            if (IsPostgres)
            {
                // Coordinators starting together over one database: one creates the schema, the others wait for it.
                await session.ExecAsync("SELECT pg_advisory_xact_lock(770707)", cancellationToken).ConfigureAwait(false);
            }

            foreach (var statement in Schema.Statements(IsPostgres))
            {
                await session.ExecAsync(statement, cancellationToken).ConfigureAwait(false);
            }

            foreach (var (table, column, type) in Schema.AddedColumns)
            {
                var present = await session.ScalarAsync<long>(IsPostgres
                        ? "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @t AND column_name = @c"
                        : "SELECT COUNT(*) FROM pragma_table_info(@t) WHERE name = @c",
                    cancellationToken, ("@t", table), ("@c", column)).ConfigureAwait(false);
                if (present == 0)
                {
                    // Names from Schema, not from input: safe to write into the statement.
                    await session.ExecAsync($"ALTER TABLE {table} ADD COLUMN {column} {type}", cancellationToken).ConfigureAwait(false);
                }
            }

            foreach (var statement in Schema.AfterMigration())
            {
                await session.ExecAsync(statement, cancellationToken).ConfigureAwait(false);
            }

            await session.ExecAsync(
                "INSERT INTO state (id, base_commit, head_seq, head_id, head_metric, head_seed) VALUES (1, @base, 0, @head, NULL, @seed) ON CONFLICT (id) DO NOTHING",
                cancellationToken, ("@base", project.BaseCommit), ("@head", HeadIds.Base(project.BaseCommit)),
                ("@seed", System.Security.Cryptography.RandomNumberGenerator.GetInt32(1, int.MaxValue))).ConfigureAwait(false);
            return await session.ScalarAsync<string>("SELECT base_commit FROM state WHERE id = 1", cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        if (baseCommit != project.BaseCommit)
        {
            throw new SwarmException(
                $"{Target.Display} holds the chain of a project based on commit {baseCommit}, not {project.BaseCommit} ({project.Spec.Root}); use a new database or check out that commit",
                isUsageError: true);
        }
    }

    /// <summary>Drops every table (tests and the simulator start from an empty swarm), <c>exposures</c> of older coordinators included.</summary>
    public Task DropAsync(CancellationToken cancellationToken) =>
        WriteAsync(async s =>
        {
            foreach (var table in new[] { "state", "workers", "requests", "chain", "leases", "claims", "jobs", "reports", "experiments", "exposures", "exposed", "measurements" })
            {
                await s.ExecAsync($"DROP TABLE IF EXISTS {table}", cancellationToken).ConfigureAwait(false);
            }

            return 0;
        }, cancellationToken);

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }

        var connection = new SqliteConnection(Target.ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync().ConfigureAwait(false);
        }

        _sqliteWriter.Dispose();
    }
}
