// What the dashboard costs over a ledger of N experiments (default 500, each with a ~2 KB patch):
// the event stream's poll (PRAGMA data_version) against the naive poll (read the run's rows), a full page and a
// progress PNG, each over real HTTP on loopback. Prints a markdown table of medians and p90 in milliseconds.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using AutoResearch.Core.Records;
using AutoResearch.Web.Charts;
using AutoResearch.Web.Dashboard;

var count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
var folder = Path.Combine(Path.GetTempPath(), "autoresearch-dashboard-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(folder);
var ledgerPath = Path.Combine(folder, "ledger.db");
var start = DateTimeOffset.UtcNow;
var random = new Random(1);
using (var ledger = Ledger.Open(ledgerPath))
{
    ledger.CreateRun(new RunRecord("bench", "autoresearch/bench", "abc1234", "val_bpb", "minimize", start, null));
    var best = 3.0;
    for (var i = 0; i < count; i++)
    {
        var metric = best + (random.NextDouble() - 0.8) * 0.05;
        var keep = i == 0 || metric < best;
        best = keep ? metric : best;
        ledger.Insert(new ExperimentRecord
        {
            Tag = "bench", Seq = i, Phase = ExperimentPhase.Done, Status = keep ? ExperimentStatus.Keep : ExperimentStatus.Discard,
            ParentCommit = "abc1234", Proposer = "search", Description = $"LEARNING_RATE {i}e-4 -> {i + 1}e-4",
            Patch = string.Concat(Enumerable.Repeat($"-const double LEARNING_RATE = {i}e-4;\n+const double LEARNING_RATE = {i + 1}e-4;\n", 30)),
            Metric = metric, StartedAt = start.AddMinutes(i), FinishedAt = start.AddMinutes(i + 1), RunSeconds = 60, Seed = 42,
        });
    }
}

using var source = new LedgerSource(ledgerPath);
var run = (await source.RunsAsync())[0];
var experiments = await source.ExperimentsAsync("bench");
await using var server = await DashboardServer.StartAsync(new DashboardOptions { Experiments = source }, IPAddress.Loopback, 0);
using var http = new HttpClient { BaseAddress = server.Address };

var rows = new List<(string Name, double[] Ms)>
{
    ("poll: PRAGMA data_version (what the event stream does)", await MeasureAsync(400, () => source.VersionAsync().AsTask())),
    ("poll: read the run's rows (the naive alternative)", await MeasureAsync(100, () => source.ExperimentsAsync("bench"))),
    ("GET / (summary + table of every experiment)", await MeasureAsync(40, () => http.GetStringAsync("/"))),
    ("GET /experiments/{id} (diff, metrics, log tail)", await MeasureAsync(40, () => http.GetStringAsync("/experiments/250"))),
    ("draw the progress PNG (1200x600; once per change)", Measure(20, () => ProgressChart.Png(ProgressSeries.FromExperiments(run, experiments)))),
    ("GET /runs/bench/progress.png (cached until the next change)", await MeasureAsync(40, () => http.GetByteArrayAsync("/runs/bench/progress.png"))),
};

Console.WriteLine($"ledger: {count} experiments, {new FileInfo(ledgerPath).Length / 1024} KB");
Console.WriteLine();
Console.WriteLine("| what | median ms | p90 ms |");
Console.WriteLine("|---|---|---|");
foreach (var (name, ms) in rows)
{
    Array.Sort(ms);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {ms[ms.Length / 2]:0.000} | {ms[(int)(ms.Length * 0.9)]:0.000} |"));
}

Directory.Delete(folder, recursive: true);

static double[] Measure<T>(int n, Func<T> action)
{
    for (var i = 0; i < 5; i++)
    {
        action();
    }

    var result = new double[n];
    for (var i = 0; i < n; i++)
    {
        var t = Stopwatch.GetTimestamp();
        action();
        result[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }

    return result;
}

static async Task<double[]> MeasureAsync<T>(int n, Func<Task<T>> action)
{
    for (var i = 0; i < 3; i++)
    {
        await action();
    }

    var result = new double[n];
    for (var i = 0; i < n; i++)
    {
        var t = Stopwatch.GetTimestamp();
        await action();
        result[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
    }

    return result;
}
