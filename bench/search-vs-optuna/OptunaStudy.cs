using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SearchVsOptuna;

/// <summary>One Optuna process (optuna_driver.py), spoken to over JSON lines: a study at a time, ask and tell.</summary>
internal sealed class OptunaStudy : IDisposable
{
    private readonly Process _process;

    public OptunaStudy(string python, string driver)
    {
        var start = new ProcessStartInfo(python, [driver])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {python} {driver}");
    }

    public void New(string sampler, int seed, IReadOnlyList<Parameter> parameters, double[] enqueue)
    {
        var space = new JsonArray(parameters.Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p.Name,
            ["low"] = p.Low,
            ["high"] = p.High,
            ["log"] = p.Log,
            ["int"] = p.Integer,
        }).ToArray());
        var first = new JsonObject();
        for (var i = 0; i < parameters.Count; i++)
        {
            first[parameters[i].Name] = parameters[i].Integer ? JsonValue.Create((long)enqueue[i]) : JsonValue.Create(enqueue[i]);
        }

        Call(new JsonObject { ["op"] = "new", ["sampler"] = sampler, ["seed"] = seed, ["space"] = space, ["enqueue"] = first });
    }

    public (int Number, double[] Values) Ask(IReadOnlyList<Parameter> parameters)
    {
        var answer = Call(new JsonObject { ["op"] = "ask" });
        var values = parameters.Select(p => answer["params"]![p.Name]!.GetValue<double>()).ToArray();
        return (answer["number"]!.GetValue<int>(), values);
    }

    public void Tell(int number, double value) => Call(new JsonObject { ["op"] = "tell", ["number"] = number, ["value"] = value });

    /// <summary>One request to the driver and its answer (see optuna_driver.py for the operations).</summary>
    public JsonNode Call(JsonObject request)
    {
        _process.StandardInput.WriteLine(request.ToJsonString());
        _process.StandardInput.Flush();
        var line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the Optuna driver exited; run it by hand to see why");
        var answer = JsonNode.Parse(line)!;
        if (answer["error"] is { } error)
        {
            throw new InvalidOperationException($"Optuna driver: {error}");
        }

        return answer;
    }

    public void Dispose()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(5000))
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}
