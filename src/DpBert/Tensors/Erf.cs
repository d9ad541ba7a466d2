using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DpBert.Tensors;

/// <summary>
/// The error function. <see cref="Reference"/> is accurate to double precision and is what the GELU
/// reference uses; the vector kernels use the Abramowitz and Stegun 7.1.26 form (absolute error
/// below 1.5e-7, i.e. about one float ulp near 1).
/// </summary>
public static class Erf
{
    /// <summary>erf(x) in double precision: Taylor series for |x| &lt; 2, continued fraction for erfc beyond.</summary>
    public static double Reference(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        double result;
        if (ax < 2.0)
        {
            // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
            double term = ax, sum = ax, x2 = ax * ax;
            for (int n = 1; n < 100; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            result = 2.0 / Math.Sqrt(Math.PI) * sum;
        }
        else if (ax > 6.0) result = 1.0;
        else
        {
            // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the tail.
            double f = ax;
            for (int n = 120; n >= 1; n--) f = ax + n / 2.0 / f;
            result = 1.0 - Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / f;
        }
        return x < 0 ? -result : result;
    }

    // Abramowitz & Stegun 7.1.26: erf(x) = 1 - t (a1 + t (a2 + t (a3 + t (a4 + t a5)))) exp(-x^2), t = 1/(1 + p x), x >= 0.
    internal const float P = 0.3275911f;
    internal const float A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;

    /// <summary>
    /// |x| beyond which the approximation is 1 in float (its correction term is under half an ulp of 1 from 3.9 on): the
    /// vector forms clamp |x| here, so e^(-x^2) stays in the range <see cref="VectorExp.ExpModerate(Vector512{float})"/> serves.
    /// </summary>
    internal const float Saturation = 4f;

    /// <summary>The single-precision approximation the vector kernels use, as a scalar.</summary>
    public static float Approximate(float x)
    {
        float ax = MathF.Abs(x);
        float t = 1f / (1f + P * ax);
        float poly = t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5))));
        float y = 1f - poly * MathF.Exp(-ax * ax);
        return MathF.CopySign(y, x);
    }

    /// <summary>
    /// The approximation on a vector: the same formula as <see cref="Approximate(float)"/>, with <c>1 / (1 + p x)</c> from
    /// <c>vrcp14ps</c> and one Newton step (within an ulp of the division, at a fraction of its cost) and e^(-x^2) from
    /// <see cref="VectorExp.ExpModerate(Vector512{float})"/> after clamping |x| at <see cref="Saturation"/>. Measured on Zen 4, one core: GELU 0.91 -> 0.81 ns per element (the reciprocal), 0.84 -> 0.77 (the clamp and the lighter exp; bit for bit the same results, checked over every float in [-12, 12]), 0.76 -> 0.58 (fused multiply-adds here and in the exp).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Approximate(Vector512<float> z)
    {
        var az = Vector512.Min(Vector512.Abs(z), Vector512.Create(Saturation));
        var d = Vector512.FusedMultiplyAdd(az, Vector512.Create(P), Vector512<float>.One);
        var r = Avx512F.Reciprocal14(d);
        var t = r * Vector512.FusedMultiplyAdd(-d, r, Vector512.Create(2f));
        var poly = Vector512.FusedMultiplyAdd(t, Vector512.Create(A5), Vector512.Create(A4));
        poly = Vector512.FusedMultiplyAdd(t, poly, Vector512.Create(A3));
        poly = Vector512.FusedMultiplyAdd(t, poly, Vector512.Create(A2));
        poly = Vector512.FusedMultiplyAdd(t, poly, Vector512.Create(A1)) * t;
        return Vector512.CopySign(Vector512.FusedMultiplyAdd(-poly, VectorExp.ExpModerate(-(az * az)), Vector512<float>.One), z);
    }

    /// <summary>The approximation on a vector (same arithmetic as <see cref="Approximate(float)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Approximate(Vector256<float> z)
    {
        var az = Vector256.Min(Vector256.Abs(z), Vector256.Create(Saturation));
        var t = Vector256<float>.One / (Vector256<float>.One + az * P);
        var poly = t * (Vector256.Create(A1) + t * (Vector256.Create(A2) + t * (Vector256.Create(A3) + t * (Vector256.Create(A4) + t * A5))));
        return Vector256.CopySign(Vector256<float>.One - poly * VectorExp.ExpModerate(-(az * az)), z);
    }

    /// <summary>The approximation on a vector (same arithmetic as <see cref="Approximate(float)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Approximate(Vector128<float> z)
    {
        var az = Vector128.Abs(z);
        var t = Vector128<float>.One / (Vector128<float>.One + az * P);
        var poly = t * (Vector128.Create(A1) + t * (Vector128.Create(A2) + t * (Vector128.Create(A3) + t * (Vector128.Create(A4) + t * A5))));
        return Vector128.CopySign(Vector128<float>.One - poly * VectorExp.Exp(-(az * az)), z);
    }
}
