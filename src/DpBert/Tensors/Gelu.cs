using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DpBert.Tensors;

/// <summary>
/// Exact (erf) GELU as Hugging Face's <c>hidden_act="gelu"</c>: <c>y = x/2 (1 + erf(x / sqrt 2))</c>.
/// </summary>
public static class Gelu
{
    private const float InvSqrt2 = 0.70710678118654752f;

    /// <summary><c>y[i] = gelu(x[i])</c>; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    public static void Forward(Span<float> y, ReadOnlySpan<float> x) => Forward(Simd.Best, y, x);

    internal static void Forward(SimdWidth width, Span<float> y, ReadOnlySpan<float> x)
    {
        if (y.Length < x.Length) throw new ArgumentException($"y holds {y.Length} floats, x {x.Length}", nameof(y));
        int i = 0;
        if (width >= SimdWidth.V512)
        {
            for (; i <= x.Length - 16; i += 16) Vector512.Create(x.Slice(i, 16)).Apply512().CopyTo(y.Slice(i, 16));
        }
        if (width >= SimdWidth.V256)
        {
            for (; i <= x.Length - 8; i += 8) Vector256.Create(x.Slice(i, 8)).Apply256().CopyTo(y.Slice(i, 8));
        }
        if (width >= SimdWidth.V128)
        {
            for (; i <= x.Length - 4; i += 4) Vector128.Create(x.Slice(i, 4)).Apply128().CopyTo(y.Slice(i, 4));
        }
        for (; i < x.Length; i++) y[i] = ApplyScalar(x[i]);
    }

    /// <summary>The scalar reference: erf evaluated in double precision.</summary>
    public static void ForwardReference(Span<float> y, ReadOnlySpan<float> x)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)(0.5 * x[i] * (1.0 + Erf.Reference(x[i] / Math.Sqrt(2.0))));
    }

    /// <summary>The scalar form of the vector approximation (used for tails).</summary>
    internal static float ApplyScalar(float x) => 0.5f * x * (1f + Erf.Approximate(x * InvSqrt2));

    /// <summary>d gelu / dx = Phi(x) + x phi(x), in double precision.</summary>
    public static double DerivativeReference(double x) =>
        0.5 * (1.0 + Erf.Reference(x / Math.Sqrt(2.0))) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2.0 * Math.PI);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Apply512(this Vector512<float> x)
    {
        var half = 0.5f * x;
        return Vector512.FusedMultiplyAdd(half, Erf.Approximate(x * InvSqrt2), half);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Apply256(this Vector256<float> x) =>
        0.5f * x * (Vector256<float>.One + Erf.Approximate(x * InvSqrt2));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Apply128(this Vector128<float> x) =>
        0.5f * x * (Vector128<float>.One + Erf.Approximate(x * InvSqrt2));

    /// <summary><c>d[i] *= gelu'(x[i])</c> with <c>gelu'(x) = Phi(x) + x phi(x)</c>: the backward pass, in place.</summary>
    public static void BackwardInPlace(Span<float> d, ReadOnlySpan<float> x) => BackwardInPlace(Simd.Best, d, x);

    internal static void BackwardInPlace(SimdWidth width, Span<float> d, ReadOnlySpan<float> x)
    {
        if (d.Length < x.Length) throw new ArgumentException($"d holds {d.Length} floats, x {x.Length}", nameof(d));
        const float invSqrt2Pi = 0.3989422804014327f;
        int i = 0;
        if (width >= SimdWidth.V512)
        {
            for (; i <= x.Length - 16; i += 16)
            {
                var v = Vector512.Create(x.Slice(i, 16));
                var cdf = 0.5f * (Vector512<float>.One + Erf.Approximate(v * InvSqrt2));
                var pdf = invSqrt2Pi * VectorExp.Exp(-0.5f * v * v);
                (Vector512.Create(d.Slice(i, 16)) * (cdf + v * pdf)).CopyTo(d.Slice(i, 16));
            }
        }
        if (width >= SimdWidth.V256)
        {
            for (; i <= x.Length - 8; i += 8)
            {
                var v = Vector256.Create(x.Slice(i, 8));
                var cdf = 0.5f * (Vector256<float>.One + Erf.Approximate(v * InvSqrt2));
                var pdf = invSqrt2Pi * VectorExp.Exp(-0.5f * v * v);
                (Vector256.Create(d.Slice(i, 8)) * (cdf + v * pdf)).CopyTo(d.Slice(i, 8));
            }
        }
        if (width >= SimdWidth.V128)
        {
            for (; i <= x.Length - 4; i += 4)
            {
                var v = Vector128.Create(x.Slice(i, 4));
                var cdf = 0.5f * (Vector128<float>.One + Erf.Approximate(v * InvSqrt2));
                var pdf = invSqrt2Pi * VectorExp.Exp(-0.5f * v * v);
                (Vector128.Create(d.Slice(i, 4)) * (cdf + v * pdf)).CopyTo(d.Slice(i, 4));
            }
        }
        for (; i < x.Length; i++)
        {
            float v = x[i];
            d[i] *= 0.5f * (1f + Erf.Approximate(v * InvSqrt2)) + v * invSqrt2Pi * MathF.Exp(-0.5f * v * v);
        }
    }
}
