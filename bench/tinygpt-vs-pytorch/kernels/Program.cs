// The GEMMs of the tiny GPT's linear layers, timed on this machine in the vector tier the runtime allows,
// against that tier's FMA peak measured here in the same run. Switch tiers with the runtime's own switches:
//   dotnet run -c Release                                  (every instruction set the CPU has)
//   DOTNET_EnableAVX512=0 dotnet run -c Release            (AVX2 + FMA: 256-bit vectors)
//   DOTNET_EnableAVX2=0 dotnet run -c Release              (128-bit vectors)
// Usage: KernelBench [THREADS] [SECONDS_PER_SHAPE]
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using AutoResearch.Nn;
using AutoResearch.Nn.Kernels;

if (args.Length > 0 && args[0] == "ab")
{
    // A/B of reading A in place against packing it, call by call, the fastest of each: on a shared machine only
    // alternating calls see the same neighbours.
    WorkerPool.Configure(Environment.ProcessorCount);
    foreach (var (m, n, k, t) in new[] { (2048, 384, 128, "forward"), (2048, 128, 512, "dX"), (2048, 128, 256, "dX"), (2048, 128, 384, "dX"), (2048, 128, 768, "dX"), (2048, 128, 1000, "dX"), (512, 128, 2048, "dW"), (2048, 128, 128, "fwd proj") })
    {
        var a = new float[m * k];
        var b = new float[k * n];
        var c = new float[m * n];
        double inPlace = double.MaxValue, packed = double.MaxValue;
        for (var r = 0; r < 400; r++)
        {
            MatMul.AlwaysPackA = r % 2 == 1;
            var sw = Stopwatch.StartNew();
            if (t == "dW")
            {
                MatMul.Gemm(m, n, k, a, 1, m, b, n, 1, c, n, accumulate: true);
            }
            else
            {
                MatMul.Gemm(m, n, k, a, k, 1, b, 1, k, c, n, accumulate: false);
            }

            var s = sw.Elapsed.TotalSeconds;
            if (r % 2 == 1) { packed = Math.Min(packed, s); } else { inPlace = Math.Min(inPlace, s); }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{t} {m}x{n}x{k}: in place {2.0 * m * n * k / inPlace / 1e9:F1} GFLOP/s, packed {2.0 * m * n * k / packed / 1e9:F1} GFLOP/s"));
    }

    return 0;
}

if (args.Length > 0 && args[0] == "attention")
{
    // The fused attention of one step of the tiny GPT (B 16, T 128, C 128, H 4, 4 layers): every layer's forward, then
    // every layer's backward, each layer with its own buffers as in training (four layers' probabilities alone take 16 MiB). Fastest and median of 100 steps, per layer.
    WorkerPool.Configure(Environment.ProcessorCount);
    const int B = 16, T = 128, C = 128, H = 4, L = 4, Steps = 100;
    var qkv = Enumerable.Range(0, L).Select(l => Fill(B * T * 3 * C, 5 + l)).ToArray();
    var output = Enumerable.Range(0, L).Select(_ => new float[B * T * C]).ToArray();
    var probs = Enumerable.Range(0, L).Select(_ => new float[B * H * T * T]).ToArray();
    var dout = Enumerable.Range(0, L).Select(l => Fill(B * T * C, 9 + l)).ToArray();
    var dqkv = Enumerable.Range(0, L).Select(_ => new float[B * T * 3 * C]).ToArray();
    var forward = new double[Steps];
    var backward = new double[Steps];
    for (var r = 0; r < Steps; r++)
    {
        var sw = Stopwatch.StartNew();
        for (var l = 0; l < L; l++)
        {
            Attention.Forward(output[l], probs[l], qkv[l], B, T, C, H, default, default);
        }

        forward[r] = sw.Elapsed.TotalMilliseconds / L;
        sw.Restart();
        for (var l = L - 1; l >= 0; l--)
        {
            Attention.Backward(dqkv[l], dout[l], qkv[l], probs[l], B, T, C, H, default, default, overwrite: true);
        }

        backward[r] = sw.Elapsed.TotalMilliseconds / L;
    }

    Array.Sort(forward);
    Array.Sort(backward);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"attention per layer: forward {forward[0]:F2} ms, backward {backward[0]:F2} ms (fastest of {Steps} steps of {L} layers); median {forward[Steps / 2]:F2} ms, {backward[Steps / 2]:F2} ms"));
    return 0;
}

var threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : Environment.ProcessorCount;
var seconds = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 0.5;
WorkerPool.Configure(threads);

Console.WriteLine($"tier: {MatMul.Tier} (Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector128 {Vector128.IsHardwareAccelerated}), {threads} threads");
var peak1 = Peak.Measure(1, seconds * 2);
var peakN = threads == 1 ? peak1 : Peak.Measure(threads, seconds * 2);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak (the tier's multiply-add loop): {peak1:F1} GFLOP/s on 1 thread, {peakN:F1} GFLOP/s on {threads}"));

// The model of templates/tinygpt: 2048 tokens per step, width 128; (in, out, layers using it).
const int Tokens = 2048;
(int In, int Out, int Count, string Name)[] layers =
[
    (128, 384, 4, "qkv"), (128, 128, 4, "proj"), (128, 512, 4, "fc"), (512, 128, 4, "fc2"), (128, 256, 1, "head"),
];

Console.WriteLine();
Console.WriteLine("| layer | product | M x N x K | GFLOP/s | % of peak |");
Console.WriteLine("| --- | --- | --- | ---: | ---: |");
var totals = new Dictionary<string, (double Flop, double Seconds)>();
foreach (var (inF, outF, count, name) in layers)
{
    var x = Fill(Tokens * inF, 1);
    var w = Fill(outF * inF, 2);
    var bias = Fill(outF, 3);
    var y = new float[Tokens * outF];
    var dy = Fill(Tokens * outF, 4);
    var dx = new float[Tokens * inF];
    var dw = new float[outF * inF];

    // The three calls of Graph.Linear and its backward, with the same operand layouts.
    Report(name, "forward  y = x W^T + b", Tokens, outF, inF, count,
        () => MatMul.Gemm(Tokens, outF, inF, x, inF, 1, w, 1, inF, y, outF, accumulate: false, bias: bias));
    Report(name, "backward dX = dY W", Tokens, inF, outF, count,
        () => MatMul.Gemm(Tokens, inF, outF, dy, outF, 1, w, inF, 1, dx, inF, accumulate: false));
    Report(name, "backward dW += dY^T x", outF, inF, Tokens, count,
        () => MatMul.Gemm(outF, inF, Tokens, dy, 1, outF, x, inF, 1, dw, inF, accumulate: true));
}

Console.WriteLine();
Console.WriteLine("| product (all layers of one step) | ms per step | GFLOP/s | % of peak |");
Console.WriteLine("| --- | ---: | ---: | ---: |");
double allFlop = 0, allSeconds = 0;
foreach (var (product, (flop, secs)) in totals)
{
    allFlop += flop;
    allSeconds += secs;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {product} | {secs * 1e3:F2} | {flop / secs / 1e9:F1} | {100 * flop / secs / 1e9 / peakN:F0}% |"));
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| **all** | {allSeconds * 1e3:F2} | {allFlop / allSeconds / 1e9:F1} | {100 * allFlop / allSeconds / 1e9 / peakN:F0}% |"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gemm: {allFlop / allSeconds / 1e9:F1} GFLOP/s, {100 * allFlop / allSeconds / 1e9 / peakN:F0}% of the measured peak {peakN:F1}"));
return 0;

void Report(string name, string product, int m, int n, int k, int count, Action gemm)
{
    var flop = 2.0 * m * n * k;
    var best = Time(gemm, seconds);
    var gflops = flop / best / 1e9;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {product} | {m} x {n} x {k} | {gflops:F1} | {100 * gflops / peakN:F0}% |"));
    var key = product.Split(' ', 2)[0] + " " + product.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
    totals.TryGetValue(key, out var t);
    totals[key] = (t.Flop + (flop * count), t.Seconds + (best * count));
}

// The median of repeated calls over the time budget: robust to a moment of other load on a shared machine.
static double Time(Action run, double budget)
{
    run();
    var samples = new List<double>();
    var total = Stopwatch.StartNew();
    while (total.Elapsed.TotalSeconds < budget || samples.Count < 5)
    {
        var sw = Stopwatch.StartNew();
        run();
        samples.Add(sw.Elapsed.TotalSeconds);
    }

    samples.Sort();
    return samples[samples.Count / 2];
}

static float[] Fill(int length, int seed)
{
    var rng = new Random(seed);
    var data = new float[length];
    for (var i = 0; i < length; i++)
    {
        data[i] = (float)(rng.NextDouble() - 0.5);
    }

    return data;
}

/// <summary>
/// The machine's multiply-add peak in the widest vector the GEMM uses: twelve independent chains of the same
/// instruction the micro-kernel issues (enough to cover the latency of two pipelines), on each thread at once.
/// </summary>
internal static class Peak
{
    public static double Measure(int threads, double seconds)
    {
        var flops = new double[threads];
        var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            flops[t] = Loop(seconds);
        })).ToArray();
        foreach (var w in workers)
        {
            w.Start();
        }

        foreach (var w in workers)
        {
            w.Join();
        }

        return flops.Sum() / 1e9;
    }

    private static double Loop(double seconds)
    {
        const int Iterations = 1 << 20;
        var sw = Stopwatch.StartNew();
        long rounds = 0;
        var sink = 0f;
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            sink += MatMul.Tier switch
            {
                "avx512" => Chains512(Iterations),
                "avx2" => Chains256(Iterations),
                "vector128" => Chains128(Iterations),
                _ => ChainsScalar(Iterations),
            };
            rounds++;
        }

        GC.KeepAlive(sink);
        var lanes = MatMul.Tier switch { "avx512" => 16, "avx2" => 8, "vector128" => 4, _ => 1 };
        return rounds * (double)Iterations * 12 * lanes * 2 / sw.Elapsed.TotalSeconds;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains512(int n)
    {
        var x = Vector512.Create(0.999f);
        var y = Vector512.Create(1e-7f);
        Vector512<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (var i = 0; i < n; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, x, y);
            a1 = Vector512.FusedMultiplyAdd(a1, x, y);
            a2 = Vector512.FusedMultiplyAdd(a2, x, y);
            a3 = Vector512.FusedMultiplyAdd(a3, x, y);
            a4 = Vector512.FusedMultiplyAdd(a4, x, y);
            a5 = Vector512.FusedMultiplyAdd(a5, x, y);
            a6 = Vector512.FusedMultiplyAdd(a6, x, y);
            a7 = Vector512.FusedMultiplyAdd(a7, x, y);
            a8 = Vector512.FusedMultiplyAdd(a8, x, y);
            a9 = Vector512.FusedMultiplyAdd(a9, x, y);
            a10 = Vector512.FusedMultiplyAdd(a10, x, y);
            a11 = Vector512.FusedMultiplyAdd(a11, x, y);
        }

        return Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains256(int n)
    {
        var x = Vector256.Create(0.999f);
        var y = Vector256.Create(1e-7f);
        Vector256<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (var i = 0; i < n; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, x, y);
            a1 = Vector256.FusedMultiplyAdd(a1, x, y);
            a2 = Vector256.FusedMultiplyAdd(a2, x, y);
            a3 = Vector256.FusedMultiplyAdd(a3, x, y);
            a4 = Vector256.FusedMultiplyAdd(a4, x, y);
            a5 = Vector256.FusedMultiplyAdd(a5, x, y);
            a6 = Vector256.FusedMultiplyAdd(a6, x, y);
            a7 = Vector256.FusedMultiplyAdd(a7, x, y);
            a8 = Vector256.FusedMultiplyAdd(a8, x, y);
            a9 = Vector256.FusedMultiplyAdd(a9, x, y);
            a10 = Vector256.FusedMultiplyAdd(a10, x, y);
            a11 = Vector256.FusedMultiplyAdd(a11, x, y);
        }

        return Vector256.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }

    // No vector accelerated (DOTNET_EnableHWIntrinsic=0): the GEMM runs its plain loop, a float multiply and add.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float ChainsScalar(int n)
    {
        const float x = 0.999f, y = 1e-7f;
        float a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (var i = 0; i < n; i++)
        {
            a0 = (a0 * x) + y;
            a1 = (a1 * x) + y;
            a2 = (a2 * x) + y;
            a3 = (a3 * x) + y;
            a4 = (a4 * x) + y;
            a5 = (a5 * x) + y;
            a6 = (a6 * x) + y;
            a7 = (a7 * x) + y;
            a8 = (a8 * x) + y;
            a9 = (a9 * x) + y;
            a10 = (a10 * x) + y;
            a11 = (a11 * x) + y;
        }

        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
    }

    // The 128-bit tier's kernel multiplies and adds with MultiplyAddEstimate: one fused instruction where the
    // CPU has it at this width (NEON, or x86 with FMA), a multiply and an add otherwise; the peak uses the same.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Chains128(int n)
    {
        var x = Vector128.Create(0.999f);
        var y = Vector128.Create(1e-7f);
        Vector128<float> a0 = x, a1 = x, a2 = x, a3 = x, a4 = x, a5 = x, a6 = x, a7 = x, a8 = x, a9 = x, a10 = x, a11 = x;
        for (var i = 0; i < n; i++)
        {
            a0 = Vector128.MultiplyAddEstimate(a0, x, y);
            a1 = Vector128.MultiplyAddEstimate(a1, x, y);
            a2 = Vector128.MultiplyAddEstimate(a2, x, y);
            a3 = Vector128.MultiplyAddEstimate(a3, x, y);
            a4 = Vector128.MultiplyAddEstimate(a4, x, y);
            a5 = Vector128.MultiplyAddEstimate(a5, x, y);
            a6 = Vector128.MultiplyAddEstimate(a6, x, y);
            a7 = Vector128.MultiplyAddEstimate(a7, x, y);
            a8 = Vector128.MultiplyAddEstimate(a8, x, y);
            a9 = Vector128.MultiplyAddEstimate(a9, x, y);
            a10 = Vector128.MultiplyAddEstimate(a10, x, y);
            a11 = Vector128.MultiplyAddEstimate(a11, x, y);
        }

        return Vector128.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    }
}
