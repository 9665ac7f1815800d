namespace AutoResearch.Swarm.Coordinator;

/// <summary>Which database a coordinator keeps its state in: <c>sqlite:PATH</c> or <c>postgres://user:pass@host:port/db</c>.</summary>
/// <param name="IsPostgres">True for PostgreSQL.</param>
/// <param name="ConnectionString">The ADO.NET connection string.</param>
/// <param name="Display">The target without its password, for logs and health.</param>
public sealed record DatabaseTarget(bool IsPostgres, string ConnectionString, string Display)
{
    /// <summary>Parses <paramref name="text"/>.</summary>
    /// <exception cref="SwarmException">Neither form.</exception>
    public static DatabaseTarget Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.StartsWith("sqlite:", StringComparison.Ordinal))
        {
            var path = Path.GetFullPath(text["sqlite:".Length..]);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Pooling keeps the file open between commands; the busy timeout lets a second writer wait instead of failing.
            return new DatabaseTarget(false, $"Data Source={path};Pooling=True;Default Timeout=30", $"sqlite:{path}");
        }

        if ((text.StartsWith("postgres://", StringComparison.Ordinal) || text.StartsWith("postgresql://", StringComparison.Ordinal))
            && Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.AbsolutePath.Length > 1)
        {
            var user = Uri.UnescapeDataString(uri.UserInfo.Split(':')[0]);
            var password = uri.UserInfo.Contains(':') ? Uri.UnescapeDataString(uri.UserInfo[(uri.UserInfo.IndexOf(':') + 1)..]) : null;
            var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
            var port = uri.Port > 0 ? uri.Port : 5432;
            var parts = new List<string> { $"Host={uri.Host}", $"Port={port}", $"Database={database}", "Maximum Pool Size=64", "No Reset On Close=true",
                // The coordinator sends the same few dozen statements over and over: let the server parse and plan each once per connection.
                "Max Auto Prepare=64", "Auto Prepare Min Usages=2" };
            if (user.Length > 0)
            {
                parts.Add($"Username={user}");
            }

            if (password is not null)
            {
                parts.Add($"Password={password}");
            }

            return new DatabaseTarget(true, string.Join(';', parts), $"postgres://{uri.Host}:{port}/{database}");
        }

        throw new SwarmException(
            $"--db '{text}' is neither sqlite:PATH nor postgres://user:password@host:port/database; e.g. --db sqlite:swarm.db", isUsageError: true);
    }
}
