using System.Data.Common;

namespace AutoResearch.Swarm.Coordinator.Storage;

/// <summary>One connection (and transaction, for writes) to run SQL on. Parameters are <c>@name</c> in both dialects.</summary>
internal sealed class Session(DbConnection connection, DbTransaction? transaction, bool isPostgres)
{
    private int _savepoints;

    public bool IsPostgres { get; } = isPostgres;

    /// <summary>The open transaction; null for a read outside one.</summary>
    public DbTransaction? Transaction => transaction;

    /// <summary>A savepoint name not used before in this transaction.</summary>
    public string NextSavepoint() => $"s{++_savepoints}";

    /// <summary><c>FOR UPDATE</c> on PostgreSQL; nothing on SQLite, where a write transaction already holds the only write lock.</summary>
    public string ForUpdate => IsPostgres ? "FOR UPDATE" : "";

    public async Task<int> ExecAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<T?> ScalarAsync<T>(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        if (value is null or DBNull)
        {
            return default;
        }

        return (T)Convert.ChangeType(value, Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<List<T>> QueryAsync<T>(
        string sql, Func<DbDataReader, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(map(reader));
        }

        return rows;
    }

    public async Task<T?> SingleAsync<T>(
        string sql, Func<DbDataReader, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
        where T : class
    {
        var rows = await QueryAsync(sql, map, cancellationToken, parameters).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    private DbCommand Command(string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value switch
            {
                null => DBNull.Value,
                bool b => b ? 1L : 0L,
                int i => (long)i,
                _ => value,
            };
            command.Parameters.Add(parameter);
        }

        return command;
    }
}
