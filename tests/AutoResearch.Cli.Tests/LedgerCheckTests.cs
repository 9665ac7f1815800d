using AutoResearch.Cli.Tests.Support;
using AutoResearch.Core.Records;
using AutoResearch.Tests.Support;
using Microsoft.Data.Sqlite;

namespace AutoResearch.Cli.Tests;

public sealed class LedgerCheckTests
{
    [Fact]
    public async Task Log_and_status_warn_about_a_forged_baseline_and_say_when_the_ledger_cannot_be_checked()
    {
        using var toy = new ToyWorkspace();
        toy.Plan("sed -i 's/^X=.*/X=3.5/' knobs.sh; echo 'X closer'", "sed -i 's/^X=.*/X=-9/' knobs.sh; echo 'X far'");
        var (runCode, runOutput) = await CliRunner.RunAsync("run", toy.Root, "--agent", "cli", "--agent-command", toy.AgentCommand, "--max-experiments", "2", "--tag", "a");
        Assert.True(runCode == 0, runOutput);
        var ledgerPath = Path.Combine(toy.Root, ".autoresearch", "ledger.db");
        var keyPath = LedgerKey.PathFor(ledgerPath);
        Assert.StartsWith(CliRunner.ConfigHome, keyPath, StringComparison.Ordinal);
        Assert.True(File.Exists(keyPath), $"`autoresearch run` made no key at {keyPath}");

        var (_, cleanLog) = await CliRunner.RunAsync("log", toy.Root);
        Assert.DoesNotContain("ledger check", cleanLog, StringComparison.Ordinal);

        // The forger: lower the baseline's score, as an agent with the sqlite3 shell could.
        using (var connection = new SqliteConnection($"Data Source={ledgerPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE experiments SET metric = 0.001 WHERE tag = 'a' AND seq = 0";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        var (logCode, log) = await CliRunner.RunAsync("log", toy.Root);
        var (statusCode, status) = await CliRunner.RunAsync("status", toy.Root);

        Assert.Equal((0, 0), (logCode, statusCode));
        const string Expected = "ledger check FAILED for run a: experiment #0 (id 1): its row was changed outside autoresearch (seal does not match)";
        Assert.Contains(Expected, log, StringComparison.Ordinal);
        Assert.Contains(Expected, status, StringComparison.Ordinal);

        File.Delete(keyPath);
        var (_, keyless) = await CliRunner.RunAsync("status", toy.Root);

        Assert.Contains("ledger check skipped: the ledger", keyless, StringComparison.Ordinal);
        Assert.Contains("cannot be checked", keyless, StringComparison.Ordinal);
        Assert.False(File.Exists(keyPath), "`autoresearch status` must never create a ledger key");
    }
}
