using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AutoResearch.Core.Records;

/// <summary>
/// Seals: each experiment row's <c>seal</c> is HMAC-SHA256(key, every column of the row as SQLite stores it, id, tag and
/// seq included; the columns added in version 5, <c>cost</c> and <c>conditions</c>, only when one of them is set, so a row
/// sealed before they existed still verifies, and a row sealed with them fails when they are cleared); each run row's <c>seal</c> is HMAC-SHA256(key, the run's columns and the (id, seal) of each of its
/// experiments in id order). Seals are computed from the row read back after the write, inside the write's transaction,
/// so a row read and saved unchanged keeps its seal, and <see cref="Verify"/> recomputes them from exactly what is stored.
/// A seal proves a row was last written by a holder of the key; it cannot say which field changed, nor detect a whole
/// run deleted, nor a ledger rolled back to an older copy of itself.
/// </summary>
public sealed partial class Ledger
{
    private const string RunColumns = "tag, branch, base_commit, metric, direction, started_at, finished_at";

    /// <summary>The <c>meta</c> key that records when the rows were first trusted and sealed.</summary>
    public const string SealedAtMeta = "sealed_at";

    /// <summary>The <c>meta</c> key that records the <see cref="LedgerKey.Id"/> of the key that sealed the ledger.</summary>
    public const string SealKeyMeta = "seal_key";

    private const string Distrust = "the ledger cannot be trusted: start a new run with --tag";

    /// <summary>The key file this ledger is sealed with (where it would be, with the default key folder, when opened without one).</summary>
    public string KeyPath => _key?.FilePath ?? LedgerKey.PathFor(Path);

    /// <summary>True when the ledger was opened with its key, so its writes seal and <see cref="Verify"/> can check.</summary>
    public bool IsSealing => _key is not null;

    /// <summary>
    /// Checks the seals of run <paramref name="tag"/> and of each of its experiments.
    /// </summary>
    /// <returns>
    /// One line per problem (empty when every seal matches), each naming what failed and what to do, e.g.
    /// <c>experiment #3 (id 4): its row was changed outside autoresearch (seal does not match); ...</c>. Without a key,
    /// one line saying the ledger cannot be checked and where the key file should be.
    /// </returns>
    public IReadOnlyList<string> Verify(string tag)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        lock (_gate)
        {
            return LedgerProblemLocked() is { } problem ? [problem] : VerifyRunLocked(tag);
        }
    }

    /// <summary>
    /// <see cref="Verify"/> over every run, each line prefixed with its run, plus experiments whose run is missing.
    /// </summary>
    public IReadOnlyList<string> VerifyAll()
    {
        lock (_gate)
        {
            if (LedgerProblemLocked() is { } problem)
            {
                return [problem];
            }

            var problems = new List<string>();
            foreach (var row in ReadRawLocked("SELECT tag FROM runs ORDER BY rowid"))
            {
                var tag = Convert.ToString(row[0], CultureInfo.InvariantCulture)!;
                problems.AddRange(VerifyRunLocked(tag).Select(p => p.StartsWith("run ", StringComparison.Ordinal) ? p : $"run {tag}: {p}"));
            }

            // Foreign keys are off in a plain sqlite3 shell, so a row can be moved to a run that does not exist.
            foreach (var row in ReadRawLocked("SELECT id, seq, tag FROM experiments WHERE tag IS NULL OR tag NOT IN (SELECT tag FROM runs) ORDER BY id"))
            {
                problems.Add(
                    $"experiment {Describe(row[1], row[0])} names run {Convert.ToString(row[2], CultureInfo.InvariantCulture)}, which is not in the ledger: " +
                    $"it was added or moved outside autoresearch; {Distrust}, or inspect the row with `{ToolCommand.Of($"show {row[0]}")}`");
            }

            return problems;
        }
    }

    /// <summary>A problem with the whole ledger (no key, another key), or null when its rows can be checked.</summary>
    private string? LedgerProblemLocked()
    {
        if (_key is null)
        {
            return $"the ledger {Path} cannot be checked: its key file {KeyPath} is missing (`{ToolCommand.Of("run")}` creates it and trusts the ledger as it is then)";
        }

        var sealedWith = GetMeta(SealKeyMeta);
        return sealedWith is not null && !string.Equals(sealedWith, _key.Id, StringComparison.Ordinal)
            ? $"the ledger was sealed with another key ({sealedWith}, not {_key.Id} in {_key.FilePath}): the key file was replaced or the ledger " +
              $"was copied from elsewhere; {Distrust}. If you trust the ledger as it is now, delete {_key.FilePath} and the next `{ToolCommand.Of("run")}` seals it again"
            : null;
    }

    private List<string> VerifyRunLocked(string tag)
    {
        var run = ReadRawLocked($"SELECT {RunColumns}, seal FROM runs WHERE tag = $tag", ("$tag", tag)).FirstOrDefault();
        if (run is null)
        {
            return [$"run {tag} is not in the ledger"];
        }

        var problems = new List<string>();
        foreach (var row in ReadRawLocked($"SELECT {AllColumns}, seal FROM experiments WHERE tag = $tag ORDER BY seq, id", ("$tag", tag)))
        {
            var id = row[0];
            var inspect = $"{Distrust}, or inspect the row with `{ToolCommand.Of($"show {id}")}`";
            if (row[^1] is DBNull)
            {
                problems.Add($"experiment {Describe(row[2], id)} has no seal: it was added outside autoresearch or written without the ledger key; {inspect}");
            }
            else if (!Matches(row[^1], Mac("experiment", Sealed(row.AsSpan(0, row.Length - 1)))))
            {
                problems.Add($"experiment {Describe(row[2], id)}: its row was changed outside autoresearch (seal does not match); {inspect}");
            }
        }

        var compare = $"{Distrust}, and compare `{ToolCommand.Of($"log --tag {tag}")}` with its git branch";
        if (run[^1] is DBNull)
        {
            problems.Add($"run {tag} has no seal: it was added outside autoresearch or written without the ledger key; {compare}");
        }
        else if (!Matches(run[^1], RunMacLocked(tag, run.AsSpan(0, run.Length - 1))))
        {
            problems.Add(
                $"run {tag}: an experiment row was added, deleted or moved, or the run's own row was changed, outside autoresearch " +
                $"(run seal does not match); {compare}");
        }

        return problems;
    }

    /// <summary>
    /// Whether to trust the rows as they are and seal them now: the key was just created (the user's first keyed open,
    /// or a deliberate new key), or the ledger is still empty. A key that already existed never re-seals rows someone
    /// else changed, whatever they did to <c>meta</c>.
    /// </summary>
    private bool TrustsRowsNow()
    {
        if (_key is null || string.Equals(GetMeta(SealKeyMeta), _key.Id, StringComparison.Ordinal))
        {
            return false;
        }

        return _key.Created || Convert.ToInt64(Scalar("SELECT (SELECT COUNT(*) FROM runs) + (SELECT COUNT(*) FROM experiments)"), CultureInfo.InvariantCulture) == 0;
    }

    /// <summary>Seals every row as it stands and records when and with which key (trust on first use).</summary>
    private void SealEverythingLocked()
    {
        foreach (var row in ReadRawLocked("SELECT id FROM experiments"))
        {
            SealExperimentLocked((long)row[0]!);
        }

        foreach (var row in ReadRawLocked("SELECT tag FROM runs"))
        {
            SealRunLocked((string)row[0]!);
        }

        SetMeta(SealedAtMeta, Time(DateTimeOffset.UtcNow));
        SetMeta(SealKeyMeta, _key!.Id);
    }

    /// <summary>Seals the experiment row <paramref name="id"/> as stored (without a key: marks it unsealed).</summary>
    private void SealExperimentLocked(long id)
    {
        object seal = DBNull.Value;
        if (_key is not null && ReadRawLocked($"SELECT {AllColumns} FROM experiments WHERE id = $id", ("$id", id)).FirstOrDefault() is { } row)
        {
            seal = Convert.ToHexStringLower(Mac("experiment", Sealed(row)));
        }

        Execute("UPDATE experiments SET seal = $seal WHERE id = $id", ("$seal", seal), ("$id", id));
    }

    /// <summary>Seals run <paramref name="tag"/> over its row and its experiments' seals (without a key: marks it unsealed).</summary>
    private void SealRunLocked(string tag)
    {
        object seal = DBNull.Value;
        if (_key is not null && ReadRawLocked($"SELECT {RunColumns} FROM runs WHERE tag = $tag", ("$tag", tag)).FirstOrDefault() is { } row)
        {
            seal = Convert.ToHexStringLower(RunMacLocked(tag, row));
        }

        Execute("UPDATE runs SET seal = $seal WHERE tag = $tag", ("$seal", seal), ("$tag", tag));
    }

    /// <summary>
    /// The values an experiment seal covers, from a row of <c>AllColumns</c>: the version-4 columns, and the later ones only
    /// when one is set (a row that never had them is sealed, and verifies, exactly as before they existed).
    /// </summary>
    private static ReadOnlySpan<object?> Sealed(ReadOnlySpan<object?> row)
    {
        var later = LaterColumns.Split(',').Length;
        foreach (var value in row[^later..])
        {
            if (value is not (null or DBNull))
            {
                return row;
            }
        }

        return row[..^later];
    }

    private byte[] RunMacLocked(string tag, ReadOnlySpan<object?> run)
    {
        var experiments = ReadRawLocked("SELECT id, seal FROM experiments WHERE tag = $tag ORDER BY id", ("$tag", tag));
        var values = new List<object?>(run.Length + 1 + (2 * experiments.Count));
        values.AddRange(run);
        values.Add((long)experiments.Count);
        foreach (var e in experiments)
        {
            values.AddRange(e);
        }

        return Mac("run", values.ToArray());
    }

    /// <summary>
    /// HMAC-SHA256 of an unambiguous encoding: the domain, the value count, then each value as a type byte and its bytes
    /// (integers and doubles as 8 little-endian bytes, the double's raw bits; text and blobs length-prefixed).
    /// </summary>
    private byte[] Mac(string domain, ReadOnlySpan<object?> values)
    {
        using var hmac = _key!.CreateHmac();
        Span<byte> number = stackalloc byte[9];
        AppendBytes(hmac, 3, Encoding.UTF8.GetBytes("autoresearch.ledger." + domain + ".v1"));
        number[0] = 1;
        BinaryPrimitives.WriteInt64LittleEndian(number[1..], values.Length);
        hmac.AppendData(number);
        foreach (var value in values)
        {
            switch (value)
            {
                case null or DBNull:
                    hmac.AppendData([0]);
                    break;
                case long l:
                    number[0] = 1;
                    BinaryPrimitives.WriteInt64LittleEndian(number[1..], l);
                    hmac.AppendData(number);
                    break;
                case double d:
                    number[0] = 2;
                    BinaryPrimitives.WriteInt64LittleEndian(number[1..], BitConverter.DoubleToInt64Bits(d));
                    hmac.AppendData(number);
                    break;
                case string s:
                    AppendBytes(hmac, 3, Encoding.UTF8.GetBytes(s));
                    break;
                case byte[] b:
                    AppendBytes(hmac, 4, b);
                    break;
                default:
                    throw new InvalidOperationException($"unexpected {value.GetType()} from SQLite while sealing the ledger");
            }
        }

        return hmac.GetHashAndReset();
    }

    private static void AppendBytes(IncrementalHash hmac, byte type, byte[] bytes)
    {
        Span<byte> header = stackalloc byte[5];
        header[0] = type;
        BinaryPrimitives.WriteInt32LittleEndian(header[1..], bytes.Length);
        hmac.AppendData(header);
        hmac.AppendData(bytes);
    }

    /// <summary>Whether a stored seal (any SQLite value: a forger may store anything) is the expected one.</summary>
    private static bool Matches(object? stored, byte[] expected) =>
        stored is string hex && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(hex), Encoding.UTF8.GetBytes(Convert.ToHexStringLower(expected)));

    private static string Describe(object? seq, object? id) =>
        $"#{Convert.ToString(seq, CultureInfo.InvariantCulture)} (id {Convert.ToString(id, CultureInfo.InvariantCulture)})";

    /// <summary>Rows as SQLite returns them: <see cref="long"/>, <see cref="double"/>, <see cref="string"/>, byte arrays or <see cref="DBNull"/>.</summary>
    private List<object?[]> ReadRawLocked(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        var rows = new List<object?[]>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            reader.GetValues(row!);
            rows.Add(row);
        }

        return rows;
    }
}
