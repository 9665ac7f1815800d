using System.Data.Common;

namespace AutoResearch.Swarm.Coordinator.Storage;

/// <summary>Reads columns the same way from SQLite and PostgreSQL (integers are BIGINT in both, flags 0/1).</summary>
internal static class Row
{
    public static long Long(this DbDataReader reader, string column) => Convert.ToInt64(reader[column], System.Globalization.CultureInfo.InvariantCulture);

    public static long? NullableLong(this DbDataReader reader, string column) => reader[column] is DBNull ? null : reader.Long(column);

    public static double Double(this DbDataReader reader, string column) => Convert.ToDouble(reader[column], System.Globalization.CultureInfo.InvariantCulture);

    public static double? NullableDouble(this DbDataReader reader, string column) => reader[column] is DBNull ? null : reader.Double(column);

    public static string Text(this DbDataReader reader, string column) => (string)reader[column];

    public static string? NullableText(this DbDataReader reader, string column) => reader[column] as string;

    public static bool Flag(this DbDataReader reader, string column) => reader.Long(column) != 0;

    public static DateTimeOffset Time(this DbDataReader reader, string column) => DateTimeOffset.FromUnixTimeMilliseconds(reader.Long(column));
}
