using System.Numerics.Tensors;

namespace AutoResearch.Nn.Kernels;

/// <summary>
/// Pointwise activations, forward and backward. Backward kernels accumulate: <c>dx += dy * f'(x)</c>.
/// GELU is the tanh approximation of GPT-2: <c>0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))</c>.
/// </summary>
internal static unsafe class Activations
{
    private static GeluJob Gelu => GeluPerThread.Value!;

    // One instance per calling thread: kernels may be called from several threads at once (tests do).
    private static ThreadLocal<GeluJob> GeluPerThread { get; } = new(() => new GeluJob());

    private const float GeluK = 0.7978845608028654f; // sqrt(2/pi)
    private const float GeluC = 0.044715f;

    /// <summary>GELU forward; also writes <c>tanh(...)</c> to <paramref name="tanhOut"/> for the backward pass. Parallel over chunks.</summary>
    public static void GeluForward(Span<float> y, Span<float> tanhOut, ReadOnlySpan<float> x)
    {
        CheckSameLength(y.Length, tanhOut.Length, x.Length);
        var chunks = Chunks.For(x.Length);
        if (chunks == 1)
        {
            GeluForwardSerial(y, tanhOut, x);
            return;
        }

        fixed (float* py = y)
        fixed (float* pt = tanhOut)
        fixed (float* px = x)
        {
            Gelu.Set(backward: false, px, py, pt, null, x.Length, chunks, overwrite: false);
            WorkerPool.Shared.Run(Gelu, chunks);
        }
    }

    /// <summary>GELU backward from the saved <c>tanh</c> values: <c>dx += dy gelu'(x)</c>, or <c>dx = ...</c> with <paramref name="overwrite"/>. Parallel over chunks.</summary>
    public static void GeluBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> tanhIn, bool overwrite = false)
    {
        CheckSameLength(dx.Length, dy.Length, x.Length);
        CheckSameLength(dx.Length, tanhIn.Length, x.Length);
        var chunks = Chunks.For(x.Length);
        if (chunks == 1)
        {
            GeluBackwardSerial(dx, dy, x, tanhIn, overwrite);
            return;
        }

        fixed (float* pdx = dx)
        fixed (float* pdy = dy)
        fixed (float* px = x)
        fixed (float* pt = tanhIn)
        {
            Gelu.Set(backward: true, px, pdx, pt, pdy, x.Length, chunks, overwrite);
            WorkerPool.Shared.Run(Gelu, chunks);
        }
    }

    // One pass: tanh(u) = 1 - 2 / (exp(2u) + 1), which saturates correctly at both ends.
    private static void GeluForwardSerial(Span<float> y, Span<float> tanhOut, ReadOnlySpan<float> x)
    {
        fixed (float* py = y)
        fixed (float* pt = tanhOut)
        fixed (float* px = x)
        {
            var i = FloatVectors.Width switch
            {
                8 => GeluForwardVectors<Wide>(py, pt, px, x.Length),
                4 => GeluForwardVectors<Narrow>(py, pt, px, x.Length),
                _ => 0,
            };
            for (; i < x.Length; i++)
            {
                var t = MathF.Tanh(GeluK * (x[i] + (GeluC * x[i] * x[i] * x[i])));
                tanhOut[i] = t;
                y[i] = 0.5f * x[i] * (1 + t);
            }
        }
    }

    // The whole vectors of [0, n); returns where the scalar tail starts.
    private static int GeluForwardVectors<TV>(float* y, float* tanhOut, float* x, int n)
        where TV : unmanaged, IFloatVector<TV>
    {
        var k2 = TV.Create(2 * GeluK);
        var c = TV.Create(GeluC);
        var half = TV.Create(0.5f);
        var one = TV.Create(1f);
        var two = TV.Create(2f);
        var i = 0;
        for (; i <= n - TV.Count; i += TV.Count)
        {
            var v = TV.Load(x + i);
            var e = TV.Exp(k2 * (v + (c * v * v * v)));
            var t = one - (two / (e + one));
            TV.Store(t, tanhOut + i);
            TV.Store(half * v * (one + t), y + i);
        }

        return i;
    }

    private static void GeluBackwardSerial(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> tanhIn, bool overwrite)
    {
        fixed (float* pdx = dx)
        fixed (float* pdy = dy)
        fixed (float* px = x)
        fixed (float* pt = tanhIn)
        {
            var i = FloatVectors.Width switch
            {
                8 => GeluBackwardVectors<Wide>(pdx, pdy, px, pt, x.Length, overwrite),
                4 => GeluBackwardVectors<Narrow>(pdx, pdy, px, pt, x.Length, overwrite),
                _ => 0,
            };
            for (; i < x.Length; i++)
            {
                var d = dy[i] * GeluGrad(x[i], tanhIn[i]);
                dx[i] = overwrite ? d : dx[i] + d;
            }
        }
    }

    private static int GeluBackwardVectors<TV>(float* dx, float* dy, float* x, float* tanhIn, int n, bool overwrite)
        where TV : unmanaged, IFloatVector<TV>
    {
        var half = TV.Create(0.5f);
        var one = TV.Create(1f);
        var k = TV.Create(GeluK);
        var c3 = TV.Create(3 * GeluC);
        var i = 0;
        for (; i <= n - TV.Count; i += TV.Count)
        {
            var v = TV.Load(x + i);
            var t = TV.Load(tanhIn + i);
            var g = (half * (one + t)) + (half * v * (one - (t * t)) * k * (one + (c3 * v * v)));
            var d = TV.Load(dy + i) * g;
            TV.Store(overwrite ? d : TV.Load(dx + i) + d, dx + i);
        }

        return i;
    }

    /// <summary>Scalar GELU, the reference for the vector kernel.</summary>
    public static float GeluReference(float x) => (float)(0.5 * x * (1 + Math.Tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))));

    /// <summary>Scalar GELU derivative, the reference for the vector kernel.</summary>
    public static float GeluGradReference(float x)
    {
        var t = Math.Tanh(0.7978845608028654 * (x + 0.044715 * x * x * x));
        return (float)((0.5 * (1 + t)) + (0.5 * x * (1 - (t * t)) * 0.7978845608028654 * (1 + (3 * 0.044715 * x * x))));
    }

    /// <summary>ReLU forward, <c>max(x, 0)</c>.</summary>
    public static void ReluForward(Span<float> y, ReadOnlySpan<float> x) => TensorPrimitives.Max(x, 0f, y);

    /// <summary>ReLU backward: <c>dx += x &gt; 0 ? dy : 0</c>.</summary>
    public static void ReluBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x)
    {
        CheckSameLength(dx.Length, dy.Length, x.Length);
        var i = Pointwise(dx, dy, x, x, PointwiseGrad.Relu);
        for (; i < x.Length; i++)
        {
            dx[i] += x[i] > 0 ? dy[i] : 0;
        }
    }

    /// <summary>ReLU² forward, <c>max(x, 0)^2</c> (the "squared ReLU" of Primer and modded-nanogpt).</summary>
    public static void ReluSquaredForward(Span<float> y, ReadOnlySpan<float> x)
    {
        TensorPrimitives.Max(x, 0f, y);
        TensorPrimitives.Multiply(y, y, y);
    }

    /// <summary>ReLU² backward: <c>dx += 2 max(x, 0) dy</c>.</summary>
    public static void ReluSquaredBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x)
    {
        CheckSameLength(dx.Length, dy.Length, x.Length);
        var i = Pointwise(dx, dy, x, x, PointwiseGrad.ReluSquared);
        for (; i < x.Length; i++)
        {
            dx[i] += 2 * MathF.Max(x[i], 0) * dy[i];
        }
    }

    /// <summary>SiLU forward, <c>x sigmoid(x)</c>.</summary>
    public static void SiluForward(Span<float> y, ReadOnlySpan<float> x)
    {
        if (x.IsEmpty)
        {
            return;
        }

        TensorPrimitives.Sigmoid(x, y);
        TensorPrimitives.Multiply(y, x, y);
    }

    /// <summary>SiLU backward: <c>dx += dy s (1 + x (1 - s))</c> with <c>s = sigmoid(x)</c>, using <paramref name="scratch"/>.</summary>
    public static void SiluBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> scratch)
    {
        CheckSameLength(dx.Length, dy.Length, x.Length);
        if (x.IsEmpty)
        {
            return;
        }

        TensorPrimitives.Sigmoid(x, scratch);
        var i = Pointwise(dx, dy, x, scratch, PointwiseGrad.Silu);
        for (; i < x.Length; i++)
        {
            var s = scratch[i];
            dx[i] += dy[i] * s * (1 + x[i] * (1 - s));
        }
    }

    /// <summary>Logit soft-capping forward, <c>y = cap tanh(x / cap)</c> (Gemma 2's; <paramref name="cap"/> &gt; 0).</summary>
    public static void SoftcapForward(Span<float> y, ReadOnlySpan<float> x, float cap)
    {
        TensorPrimitives.Multiply(x, 1 / cap, y);
        TensorPrimitives.Tanh(y, y);
        TensorPrimitives.Multiply(y, cap, y);
    }

    /// <summary>Soft-capping backward from the output: <c>dx += dy (1 - (y / cap)^2)</c>.</summary>
    public static void SoftcapBackward(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> y, float cap)
    {
        CheckSameLength(dx.Length, dy.Length, y.Length);
        var k = 1 / (cap * cap);
        var i = Pointwise(dx, dy, y, y, PointwiseGrad.Softcap, k);
        for (; i < y.Length; i++)
        {
            dx[i] += dy[i] * (1 - (y[i] * y[i] * k));
        }
    }

    /// <summary>Soft-capping of one value in double precision, the reference for tests.</summary>
    public static float SoftcapReference(float x, float cap) => (float)(cap * Math.Tanh(x / (double)cap));

    private enum PointwiseGrad
    {
        Relu,
        ReluSquared,
        Silu,
        Softcap,
    }

    // dx += dy * f'(x) over the whole vectors (aux: the sigmoid of x for SiLU; k: 1/cap^2 for soft-capping, whose x is
    // its output); returns where the scalar tail starts.
    private static int Pointwise(Span<float> dx, ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> aux, PointwiseGrad f, float k = 0)
    {
        fixed (float* pdx = dx)
        fixed (float* pdy = dy)
        fixed (float* px = x)
        fixed (float* pa = aux)
        {
            return FloatVectors.Width switch
            {
                8 => PointwiseVectors<Wide>(pdx, pdy, px, pa, x.Length, f, k),
                4 => PointwiseVectors<Narrow>(pdx, pdy, px, pa, x.Length, f, k),
                _ => 0,
            };
        }
    }

    private static int PointwiseVectors<TV>(float* dx, float* dy, float* x, float* aux, int n, PointwiseGrad f, float k)
        where TV : unmanaged, IFloatVector<TV>
    {
        var one = TV.Create(1f);
        var two = TV.Create(2f);
        var vk = TV.Create(k);
        var i = 0;
        for (; i <= n - TV.Count; i += TV.Count)
        {
            var v = TV.Load(x + i);
            var d = TV.Load(dy + i);
            var s = TV.Load(aux + i);
            var grad = f switch
            {
                PointwiseGrad.Relu => TV.IfPositive(v, d),
                PointwiseGrad.ReluSquared => two * TV.Max(v, TV.Zero) * d,
                PointwiseGrad.Softcap => d * (one - (v * v * vk)),
                _ => d * s * (one + (v * (one - s))),
            };
            TV.Store(TV.Load(dx + i) + grad, dx + i);
        }

        return i;
    }

    private static float GeluGrad(float x, float t) => (0.5f * (1 + t)) + (0.5f * x * (1 - (t * t)) * GeluK * (1 + (3 * GeluC * x * x)));

    internal static void CheckSameLength(int a, int b, int c)
    {
        if (a != b || b != c)
        {
            throw new ArgumentException($"spans differ in length: {a}, {b}, {c}");
        }
    }

    private sealed class GeluJob : ParallelJob
    {
        private float* _x, _y, _t, _dy;
        private int _n, _chunks;
        private bool _backward, _overwrite;

        public void Set(bool backward, float* x, float* yOrDx, float* t, float* dy, int n, int chunks, bool overwrite)
        {
            (_backward, _n, _chunks, _overwrite) = (backward, n, chunks, overwrite);
            _x = x;
            _y = yOrDx;
            _t = t;
            _dy = dy;
        }

        public override void Execute(int index, int worker)
        {
            var (start, end) = Chunks.Range(index, _chunks, _n);
            var len = end - start;
            if (_backward)
            {
                GeluBackwardSerial(new Span<float>(_y + start, len), new ReadOnlySpan<float>(_dy + start, len), new ReadOnlySpan<float>(_x + start, len), new ReadOnlySpan<float>(_t + start, len), _overwrite);
            }
            else
            {
                GeluForwardSerial(new Span<float>(_y + start, len), new Span<float>(_t + start, len), new ReadOnlySpan<float>(_x + start, len));
            }
        }
    }
}
