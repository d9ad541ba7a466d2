using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DpBert.Tensors;

/// <summary>The vector width a kernel runs at. Every SIMD kernel has a path for each, plus a scalar reference.</summary>
public enum SimdWidth
{
    /// <summary>Plain scalar loops (the reference).</summary>
    Scalar = 0,
    /// <summary><see cref="Vector128{T}"/> (SSE / NEON).</summary>
    V128 = 128,
    /// <summary><see cref="Vector256{T}"/> (AVX2 + FMA).</summary>
    V256 = 256,
    /// <summary><see cref="Vector512{T}"/> (AVX-512F).</summary>
    V512 = 512,
}

/// <summary>Chooses the widest vector path this processor runs natively.</summary>
public static class Simd
{
    /// <summary>
    /// The widest supported width. AVX-512 is used whenever <see cref="Avx512F"/> is supported, even
    /// where <see cref="Vector512.IsHardwareAccelerated"/> reports false: .NET reports false on Intel
    /// parts that lower their clock under 512-bit load (Skylake-X / Cascade Lake), yet the
    /// instructions still run natively, and for FMA-bound kernels they are faster there.
    /// <c>DPBERT_SIMD=512|256|128|scalar</c> caps the width (for comparisons).
    /// </summary>
    public static SimdWidth Best { get; } = Detect();

    private static SimdWidth Detect()
    {
        SimdWidth hw = Avx512F.IsSupported ? SimdWidth.V512
            : Vector256.IsHardwareAccelerated && Fma.IsSupported ? SimdWidth.V256
            : Vector128.IsHardwareAccelerated ? SimdWidth.V128
            : SimdWidth.Scalar;
        string? cap = Environment.GetEnvironmentVariable("DPBERT_SIMD");
        SimdWidth? wanted = cap?.Trim().ToLowerInvariant() switch
        {
            null or "" => null,
            "512" => SimdWidth.V512,
            "256" => SimdWidth.V256,
            "128" => SimdWidth.V128,
            "scalar" or "0" => SimdWidth.Scalar,
            _ => throw new InvalidOperationException($"DPBERT_SIMD=\"{cap}\" is not one of 512, 256, 128, scalar"),
        };
        return wanted is { } w && w < hw ? w : hw;
    }

    /// <summary>True when <paramref name="width"/> can run on this processor.</summary>
    public static bool IsSupported(SimdWidth width) => width switch
    {
        SimdWidth.V512 => Avx512F.IsSupported,
        SimdWidth.V256 => Vector256.IsHardwareAccelerated && Fma.IsSupported,
        SimdWidth.V128 => Vector128.IsHardwareAccelerated,
        _ => true,
    };
}
