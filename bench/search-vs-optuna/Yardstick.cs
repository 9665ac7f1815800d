using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using AutoResearch.Core.Proposers.Search;
using AutoResearch.Core.Spec;

namespace SearchVsOptuna;

/// <summary>
/// The same-trainer anchor of bench/yardstick: Optuna's TPE and a for loop, tuning a tinygpt workspace's train.cs over
/// exactly the knobs and choices the search proposer sees (the same scanner, the same [search.knobs], the same unit
/// mapping of each knob's space), one `dotnet run train.cs` per trial with the workspace's default budget, for a fixed
/// wall-clock time. The first trial is the template as it is (the baseline). Nothing of the harness is used: no
/// repeats, no noise model, no boundary; what a user would write in an afternoon. Prints one line per trial and, at
/// the end, the best trial's train.cs (written to best/train.cs beside the workspace).
/// </summary>
internal static class Yardstick
{
    public static async Task<int> RunAsync(string workspace, double hours, string python, string driver, int seed)
    {
        var spec = SpecLoader.Load(workspace);
        var file = Path.Combine(workspace, "train.cs");
        var text = await File.ReadAllTextAsync(file);
        var settings = new SearchSettings(spec.Extra.GetValueOrDefault("search"), spec.Source);
        var knobs = settings.Apply(KnobScanner.Scan("train.cs", text), spec.Source).ToList();
        // Each knob as Optuna sees it: a category per choice, an integer per level of a discrete space, else the unit interval.
        var space = new JsonArray();
        var enqueue = new JsonObject();
        foreach (var k in knobs)
        {
            var levels = k.Space.Dimension().Levels;
            var unit = k.Space.ToUnit(k.Literal) ?? 0.5;
            if (k.Space.Choices.Count >= 2)
            {
                space.Add(new JsonObject { ["name"] = k.Name, ["choices"] = new JsonArray([.. k.Space.Choices.Select(c => (JsonNode)c)]) });
                enqueue[k.Name] = k.Space.Choices[(int)Math.Round(unit * (k.Space.Choices.Count - 1))];
            }
            else if (levels >= 2)
            {
                space.Add(new JsonObject { ["name"] = k.Name, ["low"] = 0, ["high"] = levels - 1, ["log"] = false, ["int"] = true });
                enqueue[k.Name] = (long)Math.Round(unit * (levels - 1));
            }
            else
            {
                space.Add(new JsonObject { ["name"] = k.Name, ["low"] = 0.0, ["high"] = 1.0, ["log"] = false, ["int"] = false });
                enqueue[k.Name] = unit;
            }
        }

        Console.WriteLine($"optuna tpe over {knobs.Count} knobs of train.cs: {string.Join(", ", knobs.Select(k => k.Name))}");
        using var optuna = new OptunaStudy(python, driver);
        optuna.Call(new JsonObject { ["op"] = "new", ["sampler"] = "tpe", ["seed"] = seed, ["space"] = space, ["enqueue"] = enqueue });
        var clock = Stopwatch.StartNew();
        var (bestValue, bestText, trials) = (double.PositiveInfinity, text, 0);
        while (clock.Elapsed.TotalHours < hours)
        {
            var asked = optuna.Call(new JsonObject { ["op"] = "ask" });
            var parameters = asked["params"]!;
            var literals = knobs.Select(k =>
            {
                var value = parameters[k.Name]!;
                var levels = k.Space.Dimension().Levels;
                var choices = k.Space.Choices;
                return choices.Count >= 2 ? k.Space.ToLiteral((double)choices.ToList().IndexOf(value.GetValue<string>()) / (choices.Count - 1), k.Literal)
                    : levels >= 2 ? k.Space.ToLiteral(value.GetValue<double>() / (levels - 1), k.Literal)
                    : k.Space.ToLiteral(value.GetValue<double>(), k.Literal);
            }).ToList();
            var edited = new StringBuilder(text);
            foreach (var (k, literal) in knobs.Zip(literals).OrderByDescending(p => p.First.Start))
            {
                edited.Remove(k.Start, k.Length).Insert(k.Start, literal);
            }

            await File.WriteAllTextAsync(file, edited.ToString());
            var started = clock.Elapsed;
            var (metric, tail) = await TrainAsync(workspace);
            trials++;
            optuna.Call(new JsonObject { ["op"] = "tell", ["number"] = asked["number"]!.GetValue<int>(), ["value"] = metric is { } m ? JsonValue.Create(m) : null });
            var changed = knobs.Zip(literals).Where(p => p.First.Literal != p.Second).Select(p => $"{p.First.Name}={p.Second}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"trial {trials,3} t={started.TotalMinutes,5:0.0} min val_bpb {(metric is { } v ? v.ToString("0.000000", CultureInfo.InvariantCulture) : "crash   ")} {tail} | {string.Join(" ", changed)}"));
            if (metric < bestValue)
            {
                (bestValue, bestText) = (metric.Value, edited.ToString());
            }
        }

        await File.WriteAllTextAsync(file, text);
        var best = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(workspace))!, "best");
        Directory.CreateDirectory(best);
        await File.WriteAllTextAsync(Path.Combine(best, "train.cs"), bestText);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"optuna: {trials} trials in {clock.Elapsed.TotalMinutes:0.0} min, best val_bpb {bestValue:0.000000}; best train.cs in {best}"));
        return 0;
    }

    // One training run as the harness would start it (the workspace's budget and seed); val_bpb from its summary.
    private static async Task<(double? Metric, string Tail)> TrainAsync(string workspace)
    {
        using var process = Process.Start(new ProcessStartInfo("dotnet", ["run", "train.cs"])
        {
            WorkingDirectory = workspace,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        await stderr;
        double? metric = null;
        var tokens = "";
        foreach (var line in stdout.Split('\n'))
        {
            if (line.StartsWith("val_bpb:", StringComparison.Ordinal) && double.TryParse(line[8..].Trim(), CultureInfo.InvariantCulture, out var v) && double.IsFinite(v))
            {
                metric = v;
            }
            else if (line.StartsWith("tokens_per_sec:", StringComparison.Ordinal))
            {
                tokens = $"{line[15..].Trim()} tok/s";
            }
        }

        return (process.ExitCode == 0 ? metric : null, tokens);
    }
}
