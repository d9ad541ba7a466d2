using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DpBert.Tensors;

/// <summary>
/// bfloat16: the upper 16 bits of an IEEE float (8 exponent bits, 7 mantissa bits). Rounding is to nearest, ties to
/// even, as <c>vcvtneps2bf16</c> and PyTorch round; NaN stays NaN.
/// </summary>
internal static class BFloat16
{
    /// <summary>The bf16 bits nearest to <paramref name="x"/>.</summary>
    public static ushort Round(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) return (ushort)((bits >> 16) | 0x40);   // NaN: keep it (quiet)
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>The float a bf16 value stands for (exact).</summary>
    public static float ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary><paramref name="x"/> rounded to the nearest bf16, as a float.</summary>
    public static float RoundToSingle(float x) => ToSingle(Round(x));

    /// <summary>Sixteen floats rounded to bf16 precision (kept as floats), with the same rounding as <see cref="Round"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> RoundToSingle(Vector512<float> x)
    {
        var bits = x.AsUInt32();
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) & Vector512.Create(0xFFFF0000u);
        var isNaN = Vector512.GreaterThan(bits & Vector512.Create(0x7FFFFFFFu), Vector512.Create(0x7F800000u));
        var nan = (bits | Vector512.Create(0x00400000u)) & Vector512.Create(0xFFFF0000u);
        return Vector512.ConditionalSelect(isNaN, nan, rounded).AsSingle();
    }

    /// <summary>Eight floats rounded to bf16 precision (kept as floats).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> RoundToSingle(Vector256<float> x)
    {
        var bits = x.AsUInt32();
        var rounded = (bits + Vector256.Create(0x7FFFu) + ((bits >> 16) & Vector256<uint>.One)) & Vector256.Create(0xFFFF0000u);
        var isNaN = Vector256.GreaterThan(bits & Vector256.Create(0x7FFFFFFFu), Vector256.Create(0x7F800000u));
        var nan = (bits | Vector256.Create(0x00400000u)) & Vector256.Create(0xFFFF0000u);
        return Vector256.ConditionalSelect(isNaN, nan, rounded).AsSingle();
    }
}
