using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace SearchVsOptuna;

/// <summary>
/// The YAHPO Gym LCBench surrogate (an ONNX model of validation accuracy and more for a funnel MLP on 34 OpenML tasks),
/// read from its folder and never copied. Inputs as YAHPO builds them: <c>x_cont</c> = the raw values of
/// [epoch, batch_size, learning_rate, momentum, weight_decay, num_layers, max_units, max_dropout] (float32), and
/// <c>x_cat</c> = the task's code from encoding.json (int32); output column 1 is val_accuracy (percent).
/// </summary>
internal sealed class Lcbench : IDisposable
{
    private const int FinalEpoch = 52;
    private readonly InferenceSession _session;
    private readonly Dictionary<string, int> _taskCodes;
    private readonly string _contName;
    private readonly string _catName;
    private readonly object _gate = new();

    public Lcbench(string folder)
    {
        var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        _session = new InferenceSession(Path.Combine(folder, "model.onnx"), options);
        var encoding = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "encoding.json")));
        _taskCodes = encoding.RootElement.GetProperty("OpenML_task_id").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        _contName = _session.InputMetadata.Keys.Single(k => k.Contains("cont", StringComparison.Ordinal));
        _catName = _session.InputMetadata.Keys.Single(k => k.Contains("cat", StringComparison.Ordinal));
    }

    public static IReadOnlyList<Parameter> Parameters { get; } =
    [
        new("batch_size", 16, 512, Log: true, Integer: true),
        new("learning_rate", 1e-4, 1e-1, Log: true),
        new("momentum", 0.1, 0.99),
        new("weight_decay", 1e-5, 0.1),
        new("num_layers", 1, 5, Integer: true),
        new("max_units", 64, 1024, Log: true, Integer: true),
        new("max_dropout", 0, 1),
    ];

    /// <summary>Final-epoch validation accuracy (percent) of <paramref name="p"/> (in <see cref="Parameters"/> order) on task <paramref name="task"/>.</summary>
    public double ValidationAccuracy(string task, double[] p)
    {
        var cont = new DenseTensor<float>([1, 8]);
        cont[0, 0] = FinalEpoch;
        cont[0, 1] = (float)p[0];
        cont[0, 2] = (float)p[1];
        cont[0, 3] = (float)p[2];
        cont[0, 4] = (float)p[3];
        cont[0, 5] = (float)p[4];
        cont[0, 6] = (float)p[5];
        cont[0, 7] = (float)p[6];
        var cat = new DenseTensor<int>([1, 1]);
        cat[0, 0] = _taskCodes[task];
        lock (_gate)
        {
            using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_contName, cont), NamedOnnxValue.CreateFromTensor(_catName, cat)]);
            var output = results[0].AsTensor<float>();
            return output[0, 1];
        }
    }

    public void Dispose() => _session.Dispose();
}
