using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace AutoResearch.Nn.Kernels;

/// <summary>
/// A vector of floats of one hardware width, so that a kernel is written once and compiled per width: the JIT
/// specialises a generic method for each struct that implements this and inlines every member.
/// </summary>
/// <remarks>
/// <see cref="Wide"/> is the 256-bit form (AVX2 with FMA); <see cref="Narrow"/> the 128-bit form (SSE, NEON), whose
/// multiply-add is one fused instruction where the hardware has it and a multiply and an add where it does not
/// (a fused multiply-add emulated in software would cost ten times the loop); <see cref="Lane"/> one float, for
/// machines where .NET accelerates no vector. <see cref="FloatVectors.Width"/> says which one runs here.
/// </remarks>
internal unsafe interface IFloatVector<TSelf>
    where TSelf : unmanaged, IFloatVector<TSelf>
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    static abstract TSelf Zero { get; }

    static abstract TSelf Load(float* p);

    static abstract void Store(TSelf v, float* p);

    static abstract TSelf Create(float x);

    /// <summary><c>a * b + c</c>.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    static abstract TSelf Max(TSelf a, TSelf b);

    static abstract TSelf Exp(TSelf v);

    static abstract TSelf Sqrt(TSelf v);

    static abstract float Sum(TSelf v);

    static abstract float MaxAcross(TSelf v);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a, TSelf b);

    static abstract TSelf operator *(TSelf a, TSelf b);

    static abstract TSelf operator /(TSelf a, TSelf b);

    /// <summary><paramref name="v"/> where <paramref name="x"/> &gt; 0, else 0, lane by lane.</summary>
    static abstract TSelf IfPositive(TSelf x, TSelf v);
}

/// <summary>Which form of <see cref="IFloatVector{TSelf}"/> the kernels run on this machine.</summary>
internal static class FloatVectors
{
    /// <summary>
    /// 8 where 256-bit vectors with fused multiply-add run natively (AVX2 with FMA, also under AVX-512: the wider
    /// vectors are left to the GEMM), 4 where 128-bit vectors do, else 1.
    /// </summary>
    public static int Width { get; } =
        Vector256.IsHardwareAccelerated && Fma.IsSupported ? 8 : Vector128.IsHardwareAccelerated ? 4 : 1;
}

/// <summary>Eight floats: Vector256 with fused multiply-add.</summary>
internal readonly unsafe struct Wide : IFloatVector<Wide>
{
    private readonly Vector256<float> _v;

    private Wide(Vector256<float> v) => _v = v;

    public static int Count => 8;

    public static Wide Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Wide Load(float* p) => new(Vector256.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Wide v, float* p) => Vector256.Store(v._v, p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Wide Create(float x) => new(Vector256.Create(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Wide MultiplyAdd(Wide a, Wide b, Wide c) => new(Vector256.FusedMultiplyAdd(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Wide Max(Wide a, Wide b) => new(Vector256.Max(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Wide Exp(Wide v) => new(Vector256.Exp(v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Wide Sqrt(Wide v) => new(Vector256.Sqrt(v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Wide v) => Vector256.Sum(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Wide v) => Narrow.MaxAcross(Vector128.Max(v._v.GetLower(), v._v.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Wide operator +(Wide a, Wide b) => new(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Wide operator -(Wide a, Wide b) => new(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Wide operator *(Wide a, Wide b) => new(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Wide operator /(Wide a, Wide b) => new(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Wide IfPositive(Wide x, Wide v) => new(Vector256.GreaterThan(x._v, Vector256<float>.Zero) & v._v);
}

/// <summary>Four floats: Vector128, multiply-add fused where the hardware has it.</summary>
internal readonly unsafe struct Narrow : IFloatVector<Narrow>
{
    private readonly Vector128<float> _v;

    private Narrow(Vector128<float> v) => _v = v;

    public static int Count => 4;

    public static Narrow Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Narrow Load(float* p) => new(Vector128.Load(p));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Narrow v, float* p) => Vector128.Store(v._v, p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Narrow Create(float x) => new(Vector128.Create(x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Narrow MultiplyAdd(Narrow a, Narrow b, Narrow c) => new(Vector128.MultiplyAddEstimate(a._v, b._v, c._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Narrow Max(Narrow a, Narrow b) => new(Vector128.Max(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Narrow Exp(Narrow v) => new(Vector128.Exp(v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Narrow Sqrt(Narrow v) => new(Vector128.Sqrt(v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Narrow v) => Vector128.Sum(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Narrow v) => MaxAcross(v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Narrow operator +(Narrow a, Narrow b) => new(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Narrow operator -(Narrow a, Narrow b) => new(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Narrow operator *(Narrow a, Narrow b) => new(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Narrow operator /(Narrow a, Narrow b) => new(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Narrow IfPositive(Narrow x, Narrow v) => new(Vector128.GreaterThan(x._v, Vector128<float>.Zero) & v._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float MaxAcross(Vector128<float> m)
    {
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(2, 3, 0, 1)));
        m = Vector128.Max(m, Vector128.Shuffle(m, Vector128.Create(1, 0, 3, 2)));
        return m.ToScalar();
    }
}

/// <summary>One float: the form where no vector is accelerated (the loops stay plain scalar code).</summary>
internal readonly unsafe struct Lane : IFloatVector<Lane>
{
    private readonly float _v;

    private Lane(float v) => _v = v;

    public static int Count => 1;

    public static Lane Zero => default;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane Load(float* p) => new(*p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Lane v, float* p) => *p = v._v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane Create(float x) => new(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane MultiplyAdd(Lane a, Lane b, Lane c) => new((a._v * b._v) + c._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane Max(Lane a, Lane b) => new(MathF.Max(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane Exp(Lane v) => new(MathF.Exp(v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane Sqrt(Lane v) => new(MathF.Sqrt(v._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Lane v) => v._v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float MaxAcross(Lane v) => v._v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane operator +(Lane a, Lane b) => new(a._v + b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane operator -(Lane a, Lane b) => new(a._v - b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane operator *(Lane a, Lane b) => new(a._v * b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane operator /(Lane a, Lane b) => new(a._v / b._v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane IfPositive(Lane x, Lane v) => new(x._v > 0 ? v._v : 0);
}
