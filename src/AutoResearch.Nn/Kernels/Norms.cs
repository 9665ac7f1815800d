using System.Numerics.Tensors;

namespace AutoResearch.Nn.Kernels;

/// <summary>
/// Row normalisations over the last dimension. Shapes: <c>x, y [N, C]</c>, <c>weight, bias [C]</c>,
/// saved statistics <c>mean, rstd [N]</c>. Backward kernels accumulate into dx, dweight, dbias.
/// LayerNorm: <c>y = (x - mean) rstd w + b</c>, <c>rstd = 1/sqrt(var + eps)</c> (biased variance).
/// RMSNorm: <c>y = x rstd w</c>, <c>rstd = 1/sqrt(mean(x^2) + eps)</c>.
/// </summary>
internal static unsafe class Norms
{
    private static NormJob LayerNormWork => LayerNormWorkPerThread.Value!;

    // One instance per calling thread: kernels may be called from several threads at once (tests do).
    private static ThreadLocal<NormJob> LayerNormWorkPerThread { get; } = new(() => new NormJob(backward: false));

    private static NormJob LayerNormBackwardWork => LayerNormBackwardWorkPerThread.Value!;

    private static ThreadLocal<NormJob> LayerNormBackwardWorkPerThread { get; } = new(() => new NormJob(backward: true));

    private static float[] Partials { get => PartialsPerThread.Value!; set => PartialsPerThread.Value = value; }

    private static ThreadLocal<float[]> PartialsPerThread { get; } = new(() => []);

    /// <summary>LayerNorm forward; <paramref name="bias"/> may be empty. Parallel over rows.</summary>
    public static void LayerNormForward(Span<float> y, Span<float> mean, Span<float> rstd, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int c, float eps)
    {
        var n = Check(x.Length, y.Length, c, weight.Length);
        var chunks = Chunks.For(x.Length);
        if (chunks == 1)
        {
            LayerNormForwardRows(y, mean, rstd, x, weight, bias, c, eps, 0, n);
            return;
        }

        fixed (float* py = y)
        fixed (float* pm = mean)
        fixed (float* pr = rstd)
        fixed (float* px = x)
        fixed (float* pw = weight)
        fixed (float* pb = bias)
        {
            var job = LayerNormWork;
            job.Set(py, pm, pr, px, pw, bias.IsEmpty ? null : pb, null, null, null, c, n, chunks, eps);
            WorkerPool.Shared.Run(job, chunks);
        }
    }

    /// <summary>
    /// LayerNorm backward; <paramref name="dbias"/>, <paramref name="dweight"/> and <paramref name="dx"/> may be
    /// empty. Parallel over a fixed number of row chunks; the weight and bias gradients are summed per chunk,
    /// then over chunks in order, so the result does not depend on the thread count.
    /// </summary>
    public static void LayerNormBackward(Span<float> dx, Span<float> dweight, Span<float> dbias, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, int c, bool overwriteDx = false)
    {
        var n = Check(x.Length, dy.Length, c, weight.Length);
        var chunks = Chunks.For(x.Length);
        var need = chunks * 4 * c;
        if (Partials.Length < need)
        {
            Partials = GC.AllocateArray<float>(need, pinned: true);
        }

        fixed (float* pdx = dx)
        fixed (float* pdy = dy)
        fixed (float* px = x)
        fixed (float* pw = weight)
        fixed (float* pm = mean)
        fixed (float* pr = rstd)
        fixed (float* partials = Partials)
        {
            var job = LayerNormBackwardWork;
            job.Set(pdx, pm, pr, px, pw, null, pdy, partials, dx.IsEmpty ? null : pdx, c, n, chunks, 0);
            job.OverwriteDx = overwriteDx;
            WorkerPool.Shared.Run(job, chunks);
            for (var k = 0; k < chunks; k++)
            {
                var dw = new ReadOnlySpan<float>(partials + ((long)k * 4 * c), c);
                var db = new ReadOnlySpan<float>(partials + ((long)k * 4 * c) + c, c);
                if (!dweight.IsEmpty)
                {
                    TensorPrimitives.Add(dweight, dw, dweight);
                }

                if (!dbias.IsEmpty)
                {
                    TensorPrimitives.Add(dbias, db, dbias);
                }
            }
        }
    }

    private static void LayerNormForwardRows(Span<float> y, Span<float> mean, Span<float> rstd, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int c, float eps, int r0, int r1)
    {
        switch (FloatVectors.Width)
        {
            case 8:
                LayerNormForwardRows<Wide>(y, mean, rstd, x, weight, bias, c, eps, r0, r1);
                break;
            case 4:
                LayerNormForwardRows<Narrow>(y, mean, rstd, x, weight, bias, c, eps, r0, r1);
                break;
            default:
                LayerNormForwardRows<Lane>(y, mean, rstd, x, weight, bias, c, eps, r0, r1);
                break;
        }
    }

    private static void LayerNormForwardRows<TV>(Span<float> y, Span<float> mean, Span<float> rstd, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int c, float eps, int r0, int r1)
        where TV : unmanaged, IFloatVector<TV>
    {
        var w = TV.Count;
        var hasBias = !bias.IsEmpty;
        fixed (float* py = y)
        fixed (float* px = x)
        fixed (float* pw = weight)
        fixed (float* pb = bias)
        {
            for (var r = r0; r < r1; r++)
            {
                var xr = px + ((long)r * c);
                var yr = py + ((long)r * c);
                var m = Sum<TV>(xr, c) / c;
                var vm = TV.Create(m);
                var vs = TV.Zero;
                var j = 0;
                for (; j + w <= c; j += w)
                {
                    var d = TV.Load(xr + j) - vm;
                    vs = TV.MultiplyAdd(d, d, vs);
                }

                var v = TV.Sum(vs);
                for (; j < c; j++)
                {
                    v += (xr[j] - m) * (xr[j] - m);
                }

                var s = 1f / MathF.Sqrt((v / c) + eps);
                var vsc = TV.Create(s);
                for (j = 0; j + w <= c; j += w)
                {
                    var h = (TV.Load(xr + j) - vm) * vsc * TV.Load(pw + j);
                    TV.Store(hasBias ? h + TV.Load(pb + j) : h, yr + j);
                }

                for (; j < c; j++)
                {
                    yr[j] = ((xr[j] - m) * s * pw[j]) + (hasBias ? pb[j] : 0);
                }

                mean[r] = m;
                rstd[r] = s;
            }
        }
    }

    // Rows [r0, r1): dw += dy xhat, db += dy, dx += rstd (g - mean(g) - xhat mean(g xhat)) with g = w dy.
    private static void LayerNormBackwardRows(Span<float> dx, Span<float> dw, Span<float> db, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, int c, int r0, int r1, bool overwrite)
    {
        switch (FloatVectors.Width)
        {
            case 8:
                LayerNormBackwardRows<Wide>(dx, dw, db, dy, x, weight, mean, rstd, c, r0, r1, overwrite);
                break;
            case 4:
                LayerNormBackwardRows<Narrow>(dx, dw, db, dy, x, weight, mean, rstd, c, r0, r1, overwrite);
                break;
            default:
                LayerNormBackwardRows<Lane>(dx, dw, db, dy, x, weight, mean, rstd, c, r0, r1, overwrite);
                break;
        }
    }

    private static void LayerNormBackwardRows<TV>(Span<float> dx, Span<float> dw, Span<float> db, ReadOnlySpan<float> dy,
        ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, int c, int r0, int r1, bool overwrite)
        where TV : unmanaged, IFloatVector<TV>
    {
        var w = TV.Count;
        fixed (float* pdx = dx)
        fixed (float* pdw = dw)
        fixed (float* pdb = db)
        fixed (float* pdy = dy)
        fixed (float* px = x)
        fixed (float* pw = weight)
        {
            for (var r = r0; r < r1; r++)
            {
                var xr = px + ((long)r * c);
                var dyr = pdy + ((long)r * c);
                var m = mean[r];
                var s = rstd[r];
                var vm = TV.Create(m);
                var vs = TV.Create(s);
                TV sumG = TV.Zero, sumGx = TV.Zero;
                var j = 0;
                for (; j + w <= c; j += w)
                {
                    var xhat = (TV.Load(xr + j) - vm) * vs;
                    var d = TV.Load(dyr + j);
                    var g = TV.Load(pw + j) * d;
                    TV.Store(TV.MultiplyAdd(d, xhat, TV.Load(pdw + j)), pdw + j);
                    TV.Store(TV.Load(pdb + j) + d, pdb + j);
                    sumG += g;
                    sumGx = TV.MultiplyAdd(g, xhat, sumGx);
                }

                var sg = TV.Sum(sumG);
                var sgx = TV.Sum(sumGx);
                for (; j < c; j++)
                {
                    var xhat = (xr[j] - m) * s;
                    var g = pw[j] * dyr[j];
                    pdw[j] += dyr[j] * xhat;
                    pdb[j] += dyr[j];
                    sg += g;
                    sgx += g * xhat;
                }

                if (pdx == null)
                {
                    continue;
                }

                var meanG = sg / c;
                var meanGx = sgx / c;
                var vmg = TV.Create(meanG);
                var vmgx = TV.Create(meanGx);
                var dxr = pdx + ((long)r * c);
                for (j = 0; j + w <= c; j += w)
                {
                    var xhat = (TV.Load(xr + j) - vm) * vs;
                    var g = TV.Load(pw + j) * TV.Load(dyr + j);
                    var d = vs * (g - vmg - (xhat * vmgx));
                    TV.Store(overwrite ? d : d + TV.Load(dxr + j), dxr + j);
                }

                for (; j < c; j++)
                {
                    var xhat = (xr[j] - m) * s;
                    var d = s * ((pw[j] * dyr[j]) - meanG - (xhat * meanGx));
                    dxr[j] = overwrite ? d : dxr[j] + d;
                }
            }
        }
    }

    private static float Sum<TV>(float* x, int n)
        where TV : unmanaged, IFloatVector<TV>
    {
        var acc = TV.Zero;
        var j = 0;
        for (; j + TV.Count <= n; j += TV.Count)
        {
            acc += TV.Load(x + j);
        }

        var sum = TV.Sum(acc);
        for (; j < n; j++)
        {
            sum += x[j];
        }

        return sum;
    }

    /// <summary>RMSNorm forward; <paramref name="weight"/> may be empty (no gain).</summary>
    public static void RmsNormForward(Span<float> y, Span<float> rstd, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, int c, float eps)
    {
        var n = Check(x.Length, y.Length, c, weight.IsEmpty ? c : weight.Length);
        for (var r = 0; r < n; r++)
        {
            var xr = x.Slice(r * c, c);
            var yr = y.Slice(r * c, c);
            var s = 1f / MathF.Sqrt((TensorPrimitives.SumOfSquares(xr) / c) + eps);
            TensorPrimitives.Multiply(xr, s, yr);
            if (!weight.IsEmpty)
            {
                TensorPrimitives.Multiply(yr, weight, yr);
            }

            rstd[r] = s;
        }
    }

    /// <summary>RMSNorm backward: <c>dx += rstd g - x rstd^3 mean(g x)</c> with <c>g = w dy</c>.</summary>
    public static void RmsNormBackward(Span<float> dx, Span<float> dweight, ReadOnlySpan<float> dy, ReadOnlySpan<float> x,
        ReadOnlySpan<float> weight, ReadOnlySpan<float> rstd, int c)
    {
        var n = Check(x.Length, dy.Length, c, weight.IsEmpty ? c : weight.Length);
        for (var r = 0; r < n; r++)
        {
            var xr = x.Slice(r * c, c);
            var dyr = dy.Slice(r * c, c);
            var s = rstd[r];
            if (!dweight.IsEmpty)
            {
                for (var j = 0; j < c; j++)
                {
                    dweight[j] += dyr[j] * xr[j] * s;
                }
            }

            if (dx.IsEmpty)
            {
                continue;
            }

            var dxr = dx.Slice(r * c, c);
            var dot = 0f;
            for (var j = 0; j < c; j++)
            {
                dot += (weight.IsEmpty ? 1 : weight[j]) * dyr[j] * xr[j];
            }

            var k = s * s * s * dot / c;
            for (var j = 0; j < c; j++)
            {
                dxr[j] += (s * (weight.IsEmpty ? 1 : weight[j]) * dyr[j]) - (xr[j] * k);
            }
        }
    }

    /// <summary>LayerNorm forward in double precision, the reference for tests.</summary>
    public static void LayerNormReference(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int c, float eps)
    {
        var n = x.Length / c;
        for (var r = 0; r < n; r++)
        {
            double m = 0, v = 0;
            for (var j = 0; j < c; j++)
            {
                m += x[r * c + j];
            }

            m /= c;
            for (var j = 0; j < c; j++)
            {
                v += (x[r * c + j] - m) * (x[r * c + j] - m);
            }

            var s = 1 / Math.Sqrt((v / c) + eps);
            for (var j = 0; j < c; j++)
            {
                y[r * c + j] = (float)(((x[r * c + j] - m) * s * weight[j]) + (bias.IsEmpty ? 0 : bias[j]));
            }
        }
    }

    /// <summary>RMSNorm forward in double precision, the reference for tests.</summary>
    public static void RmsNormReference(Span<float> y, ReadOnlySpan<float> x, ReadOnlySpan<float> weight, int c, float eps)
    {
        var n = x.Length / c;
        for (var r = 0; r < n; r++)
        {
            double ss = 0;
            for (var j = 0; j < c; j++)
            {
                ss += (double)x[r * c + j] * x[r * c + j];
            }

            var s = 1 / Math.Sqrt((ss / c) + eps);
            for (var j = 0; j < c; j++)
            {
                y[r * c + j] = (float)(x[r * c + j] * s * (weight.IsEmpty ? 1 : weight[j]));
            }
        }
    }

    private static int Check(int xLen, int yLen, int c, int wLen)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(c);
        if (xLen != yLen || xLen % c != 0 || wLen != c)
        {
            throw new ArgumentException($"norm shapes disagree: x {xLen}, y {yLen}, C {c}, weight {wLen}");
        }

        return xLen / c;
    }

    private sealed class NormJob(bool backward) : ParallelJob
    {
        public bool OverwriteDx { get; set; }

        private float* _y, _mean, _rstd, _x, _w, _b, _dy, _partials, _dx;
        private int _c, _n, _chunks;
        private float _eps;

        public void Set(float* y, float* mean, float* rstd, float* x, float* w, float* b, float* dy, float* partials, float* dx, int c, int n, int chunks, float eps)
        {
            _y = y;
            _mean = mean;
            _rstd = rstd;
            _x = x;
            _w = w;
            _b = b;
            _dy = dy;
            _partials = partials;
            _dx = dx;
            (_c, _n, _chunks, _eps) = (c, n, chunks, eps);
        }

        public override void Execute(int index, int worker)
        {
            var (r0, r1) = Chunks.Range(index, _chunks, _n);
            var len = _n * _c;
            var x = new ReadOnlySpan<float>(_x, len);
            var w = new ReadOnlySpan<float>(_w, _c);
            var mean = new Span<float>(_mean, _n);
            var rstd = new Span<float>(_rstd, _n);
            if (!backward)
            {
                LayerNormForwardRows(new Span<float>(_y, len), mean, rstd, x, w, _b == null ? default : new ReadOnlySpan<float>(_b, _c), _c, _eps, r0, r1);
                return;
            }

            var part = _partials + ((long)index * 4 * _c);
            var dw = new Span<float>(part, _c);
            var db = new Span<float>(part + _c, _c);
            dw.Clear();
            db.Clear();
            LayerNormBackwardRows(_dx == null ? default : new Span<float>(_dx, len), dw, db,
                new ReadOnlySpan<float>(_dy, len), x, w, mean, rstd, _c, r0, r1, OverwriteDx);
        }
    }
}
