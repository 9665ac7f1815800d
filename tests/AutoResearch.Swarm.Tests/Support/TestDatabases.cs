using System.Net.Sockets;
using Npgsql;

namespace AutoResearch.Swarm.Tests.Support;

/// <summary>
/// The databases every storage test runs against: a SQLite file, and a fresh database on a real PostgreSQL
/// (AUTORESEARCH_TEST_POSTGRES: <c>./test.sh</c> starts a private throwaway cluster and sets it; without it,
/// postgres://autoresearch:autoresearch@127.0.0.1:5432/autoresearch).
/// </summary>
internal static class TestDatabases
{
    public static TheoryData<string> Kinds => new() { "sqlite", "postgres" };

    public static string Admin => Environment.GetEnvironmentVariable("AUTORESEARCH_TEST_POSTGRES")
        ?? "postgres://autoresearch:autoresearch@127.0.0.1:5432/autoresearch";

    /// <summary>A new empty database of <paramref name="kind"/>: its target and a cleanup.</summary>
    public static async Task<(string Target, Func<Task> Drop)> CreateAsync(string kind, string folder)
    {
        if (kind == "sqlite")
        {
            return ($"sqlite:{Path.Combine(folder, "swarm.db")}", () => Task.CompletedTask);
        }

        var name = "swarm_test_" + Guid.NewGuid().ToString("N")[..12];
        var uri = new Uri(Admin);
        await using var admin = NpgsqlDataSource.Create(ConnectionString(uri, uri.AbsolutePath.TrimStart('/')));
        await using (var create = admin.CreateCommand($"CREATE DATABASE {name}"))
        {
            try
            {
                await create.ExecuteNonQueryAsync();
            }
            // Only "nothing listens there": say how to get a server instead of a bare socket error.
            catch (NpgsqlException e) when (e.InnerException is SocketException)
            {
                throw new InvalidOperationException(
                    $"no PostgreSQL at {uri.Host}:{(uri.Port > 0 ? uri.Port : 5432)} ({e.InnerException.Message}); run ./test.sh, which starts a private one, or set AUTORESEARCH_TEST_POSTGRES", e);
            }
        }

        var target = $"{uri.Scheme}://{uri.UserInfo}@{uri.Host}:{(uri.Port > 0 ? uri.Port : 5432)}/{name}";
        return (target, async () =>
        {
            NpgsqlConnection.ClearAllPools();
            await using var drop = NpgsqlDataSource.Create(ConnectionString(uri, uri.AbsolutePath.TrimStart('/')));
            await using var command = drop.CreateCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            await command.ExecuteNonQueryAsync();
        }
        );
    }

    private static string ConnectionString(Uri uri, string database)
    {
        var user = uri.UserInfo.Split(':');
        return $"Host={uri.Host};Port={(uri.Port > 0 ? uri.Port : 5432)};Database={database};Username={Uri.UnescapeDataString(user[0])};Password={(user.Length > 1 ? Uri.UnescapeDataString(user[1]) : "")}";
    }
}
