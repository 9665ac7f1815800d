using AutoResearch.Core.Records;
using Spectre.Console;

namespace AutoResearch.Cli.Rendering;

/// <summary>
/// The seal check that <c>status</c> and <c>log</c> print under their tables: a red line per problem found, a yellow
/// line when the ledger cannot be checked (no key file yet), nothing when every seal matches. The exit code stays 0:
/// the tables are still what the ledger says, and the warning says whether to believe them.
/// </summary>
internal static class LedgerCheck
{
    /// <summary>Opens the workspace's ledger with its key when the key file exists; never creates a key.</summary>
    public static Ledger Open(string path) => Ledger.Open(path, LedgerKey.LoadIfExists(path));

    /// <summary>Checks <paramref name="tags"/> and prints up to <paramref name="perRun"/> problems for each.</summary>
    public static void Print(IAnsiConsole console, Ledger ledger, IReadOnlyList<string> tags, int perRun)
    {
        var all = ledger.VerifyAll();
        if (!ledger.IsSealing)
        {
            console.MarkupLineInterpolated($"[yellow]ledger check skipped: {all[0]}[/]");
            return;
        }

        // Problems of the whole ledger (another key, rows of no run) are printed once, not under every run.
        var wide = all.Where(p => !p.StartsWith("run ", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        foreach (var problem in wide)
        {
            console.MarkupLineInterpolated($"[red]ledger check FAILED: {problem}[/]");
        }

        foreach (var tag in tags)
        {
            var problems = ledger.Verify(tag).Where(p => !wide.Contains(p)).ToList();
            foreach (var problem in problems.Take(perRun))
            {
                console.MarkupLineInterpolated($"[red]ledger check FAILED for run {tag}: {problem}[/]");
            }

            if (problems.Count > perRun)
            {
                console.MarkupLineInterpolated(
                    $"[red]ledger check FAILED for run {tag}: {problems.Count - perRun} more problem(s); `{Invocation.Command($"log --tag {tag}")}` lists them[/]");
            }
        }
    }
}
