using System.Globalization;
using System.Text;

namespace AutoResearch.Core.Records;

/// <summary>
/// Writes <c>results.tsv</c> with karpathy/autoresearch's columns:
/// <c>commit  &lt;metric&gt;  memory_gb  status  description</c>. It is derived from the ledger and rewritten whole
/// (atomically) after each experiment, so a kill never leaves a half row or a duplicate.
/// </summary>
public static class ResultsTsv
{
    /// <summary>The file's name at the workspace root.</summary>
    public const string FileName = "results.tsv";

    /// <summary>The text of results.tsv for <paramref name="experiments"/> (only finished ones are listed).</summary>
    public static string Format(string metric, IEnumerable<ExperimentRecord> experiments)
    {
        ArgumentException.ThrowIfNullOrEmpty(metric);
        ArgumentNullException.ThrowIfNull(experiments);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"commit\t{metric}\tmemory_gb\tstatus\tdescription\n");
        foreach (var e in experiments.Where(e => e.Phase == ExperimentPhase.Done && e.Status is not null))
        {
            var commit = (e.CandidateCommit ?? e.ParentCommit)[..7];
            var value = (e.Metric ?? 0).ToString("F6", CultureInfo.InvariantCulture);
            var memory = ((e.PeakMemoryMb ?? 0) / 1024.0).ToString("F1", CultureInfo.InvariantCulture);
            var description = e.IsBaseline ? "baseline" : Clean(e.Description ?? "");
            text.Append(CultureInfo.InvariantCulture, $"{commit}\t{value}\t{memory}\t{Ledger.Name(e.Status!.Value)}\t{description}\n");
        }

        return text.ToString();
    }

    /// <summary>Writes the file atomically (a temporary file renamed over the old one).</summary>
    public static void Write(string path, string metric, IEnumerable<ExperimentRecord> experiments)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, Format(metric, experiments), new UTF8Encoding(false));
        File.Move(temporary, path, overwrite: true);
    }

    private static string Clean(string description) =>
        description.Replace('\t', ' ').Replace('\r', ' ').Replace('\n', ' ').Trim();
}
