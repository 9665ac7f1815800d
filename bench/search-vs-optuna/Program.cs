using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using AutoResearch.Core.Proposers.Search;
using SearchVsOptuna;

// Usage: dotnet run -c Release -- [--seeds N] [--first-seed K] [--budget B] [--problems substr,...] [--methods ours,tpe,...]
//        [--traces FILE] [--analyze FILE] [--lcbench DIR] [--python PATH] [--workers N]
//        or: --tinygpt WORKSPACE [--hours H] [--first-seed K]   (Optuna TPE on a tinygpt workspace; see Yardstick.cs)
var seeds = 30;
var firstSeed = 0;
var budget = 100;
string[]? filter = null;
var methods = Runner.Default;
var traces = "/tmp/search-vs-optuna-traces.csv";
string? analyze = null;
var lcbenchFolder = "/work/shared/data/yahpo-lcbench";
var python = "/usr/bin/python3";
var workers = 3;
string? tinygpt = null;
var hours = 1.0;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--seeds": seeds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--first-seed": firstSeed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--budget": budget = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--problems": filter = args[++i].Split(','); break;
        case "--methods": methods = args[++i].Split(','); break;
        case "--traces": traces = args[++i]; break;
        case "--analyze": analyze = args[++i]; break;
        case "--lcbench": lcbenchFolder = args[++i]; break;
        case "--python": python = args[++i]; break;
        case "--workers": workers = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--tinygpt": tinygpt = args[++i]; break;
        case "--hours": hours = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine($"unknown argument {args[i]}"); return 2;
    }
}

if (tinygpt is not null)
{
    // bench/yardstick's same-trainer anchor: Optuna's TPE on a tinygpt workspace for a wall-clock time.
    return await Yardstick.RunAsync(tinygpt, hours, python, Path.Combine(AppContext.BaseDirectory, "optuna_driver.py"), firstSeed);
}

using var lcbench = Directory.Exists(lcbenchFolder) ? new Lcbench(lcbenchFolder) : null;
var problems = Suite.Build(lcbench).Where(p => filter is null || filter.Any(f => p.Name.Contains(f, StringComparison.Ordinal))).ToList();
// The proposer's defaults, except that a benchmark run keeps its optimizer between suggestions, so the fit also starts
// from the previous hyperparameters (the proposer, rebuilt from the ledger each time, fits from scratch).
var options = new BayesianOptimizerOptions { WarmStart = true };

if (analyze is null)
{
    // Seed-major order, appended as each run finishes: an interrupted run still has whole seeds to analyse.
    var jobs = new ConcurrentQueue<(int Seed, Problem Problem, string Method)>(
        Enumerable.Range(firstSeed, seeds - firstSeed).SelectMany(s => problems.SelectMany(p => methods.Select(m => (s, p, m)))));
    var total = jobs.Count;
    var done = 0;
    var gate = new object();
    await using var writer = new StreamWriter(traces);
    await writer.WriteLineAsync("problem,method,seed,seconds,best,picked");
    var workerTasks = Enumerable.Range(0, workers).Select(_ => Task.Run(() =>
    {
        using var optuna = methods.Any(m => !m.StartsWith("ours", StringComparison.Ordinal)) ? new OptunaStudy(python, Path.Combine(AppContext.BaseDirectory, "optuna_driver.py")) : null;
        while (jobs.TryDequeue(out var job))
        {
            var clock = Stopwatch.StartNew();
            var (trace, picked) = Runner.Run(job.Problem, job.Method, job.Seed, budget, optuna, options);
            var line = string.Create(CultureInfo.InvariantCulture, $"{job.Problem.Name},{job.Method},{job.Seed},{clock.Elapsed.TotalSeconds:F3},{Join(trace)},{Join(picked)}");
            lock (gate)
            {
                writer.WriteLine(line);
                writer.Flush();
                if (++done % 50 == 0 || done == total)
                {
                    Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {done}/{total} seed {job.Seed}");
                }
            }
        }
    })).ToArray();
    await Task.WhenAll(workerTasks);
    await writer.FlushAsync();
    analyze = traces;
}

Report.Print(problems, analyze);
return 0;

static string Join(double[] values) => string.Join(';', values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
