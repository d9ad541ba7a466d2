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
        var z = x * InvSqrt2;
        var az = Vector512.Abs(z);
        var t = Vector512<float>.One / (Vector512<float>.One + az * Erf.P);
        var poly = t * (Vector512.Create(Erf.A1) + t * (Vector512.Create(Erf.A2) + t * (Vector512.Create(Erf.A3) + t * (Vector512.Create(Erf.A4) + t * Erf.A5))));
        var erfAbs = Vector512<float>.One - poly * VectorExp.Exp(-(az * az));
        var erf = Vector512.CopySign(erfAbs, z);
        return 0.5f * x * (Vector512<float>.One + erf);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Apply256(this Vector256<float> x)
    {
        var z = x * InvSqrt2;
        var az = Vector256.Abs(z);
        var t = Vector256<float>.One / (Vector256<float>.One + az * Erf.P);
        var poly = t * (Vector256.Create(Erf.A1) + t * (Vector256.Create(Erf.A2) + t * (Vector256.Create(Erf.A3) + t * (Vector256.Create(Erf.A4) + t * Erf.A5))));
        var erfAbs = Vector256<float>.One - poly * VectorExp.Exp(-(az * az));
        var erf = Vector256.CopySign(erfAbs, z);
        return 0.5f * x * (Vector256<float>.One + erf);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Apply128(this Vector128<float> x)
    {
        var z = x * InvSqrt2;
        var az = Vector128.Abs(z);
        var t = Vector128<float>.One / (Vector128<float>.One + az * Erf.P);
        var poly = t * (Vector128.Create(Erf.A1) + t * (Vector128.Create(Erf.A2) + t * (Vector128.Create(Erf.A3) + t * (Vector128.Create(Erf.A4) + t * Erf.A5))));
        var erfAbs = Vector128<float>.One - poly * VectorExp.Exp(-(az * az));
        var erf = Vector128.CopySign(erfAbs, z);
        return 0.5f * x * (Vector128<float>.One + erf);
    }
}
