using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DpBert.Tensors;

/// <summary>
/// Activations quantised per row (per token) at run time for <see cref="QuantizedGemm"/>: asymmetric, 7 bits,
/// <c>x ~ Scale[r] * (Q[r, p] - ZeroPoint[r])</c> with <c>Q</c> in [0, 127]. Seven bits, not eight, because the
/// AVX-512BW / AVX2 kernels multiply with <c>vpmaddubsw</c>, which adds two products in 16 bits with saturation: with
/// activations below 128 and weights in [-127, 127] that sum stays within 2 * 127 * 127 = 32,258 and never saturates,
/// so the integer product is exact (PyTorch's fbgemm reduces the activation range to 7 bits for the same reason). The
/// range always includes 0, so zero padding and exact zeros stay exact.
/// </summary>
internal sealed unsafe class QuantizedRows
{
    /// <summary>Largest quantised activation value.</summary>
    public const int Levels = 127;

    private AlignedArray<byte>? _storage;

    /// <summary>Row stride in bytes (k rounded up to a multiple of four; the padding is 0).</summary>
    public int Stride { get; private set; }
    /// <summary>Rows quantised.</summary>
    public int Rows { get; private set; }
    /// <summary>Per-row scale.</summary>
    public float[] Scales { get; private set; } = [];
    /// <summary>Per-row zero point in [0, 127].</summary>
    public int[] ZeroPoints { get; private set; } = [];

    /// <summary>Start of the quantised rows (pinned, 64-byte aligned).</summary>
    public byte* Pointer => _storage is null ? null : _storage.Pointer;

    /// <summary>Makes room for <paramref name="rows"/> rows of <paramref name="k"/> values.</summary>
    public void Resize(int rows, int k)
    {
        Rows = rows;
        Stride = (k + 3) & ~3;
        AlignedArray.Grow(ref _storage, (long)rows * Stride + 64, 4096);
        if (Scales.Length < rows + QuantizedGemmKernels.Rows)
        {
            // Padded by a tile's rows: a partial tile reads (and discards) the entries past the last row.
            Scales = new float[rows + QuantizedGemmKernels.Rows];
            ZeroPoints = new int[rows + QuantizedGemmKernels.Rows];
        }
    }

    /// <summary>The quantised value <c>Q[r, p]</c>.</summary>
    public byte At(int r, int p) => Pointer[(long)r * Stride + p];

    /// <summary>
    /// Quantises row <paramref name="r"/> from <paramref name="x"/> (k values): <c>Scale = (max - min) / 127</c> over
    /// the row's range widened to include 0 (1 for an all-zero row), <c>ZeroPoint = rint(-min / Scale)</c>,
    /// <c>Q = clamp(rint(x / Scale) + ZeroPoint, 0, 127)</c> with <c>x / Scale</c> computed as <c>x * (1 / Scale)</c> in
    /// float and rounding half to even, whatever the vector width.
    /// </summary>
    public void QuantizeRow(SimdWidth width, int r, float* x, int k)
    {
        float min = 0, max = 0;
        int i = 0;
        if (width == SimdWidth.V512 && k >= 16)
        {
            var vmin = Vector512<float>.Zero; var vmax = Vector512<float>.Zero;
            for (; i <= k - 16; i += 16) { var v = Vector512.Load(x + i); vmin = Vector512.Min(vmin, v); vmax = Vector512.Max(vmax, v); }
            min = HorizontalMin(vmin.GetLower(), vmin.GetUpper()); max = HorizontalMax(vmax.GetLower(), vmax.GetUpper());
        }
        else if (width >= SimdWidth.V256 && k >= 8)
        {
            var vmin = Vector256<float>.Zero; var vmax = Vector256<float>.Zero;
            for (; i <= k - 8; i += 8) { var v = Vector256.Load(x + i); vmin = Vector256.Min(vmin, v); vmax = Vector256.Max(vmax, v); }
            min = HorizontalMin(vmin, vmin); max = HorizontalMax(vmax, vmax);
        }
        for (; i < k; i++) { min = Math.Min(min, x[i]); max = Math.Max(max, x[i]); }

        float scale = max > min ? (max - min) / Levels : 1f;
        float inverse = 1f / scale;
        int zero = (int)Math.Clamp(MathF.Round(-min * inverse, MidpointRounding.ToEven), 0, Levels);
        Scales[r] = scale;
        ZeroPoints[r] = zero;

        byte* q = Pointer + (long)r * Stride;
        i = 0;
        if (width == SimdWidth.V512 && Avx512BW.IsSupported)
        {
            var vi = Vector512.Create(inverse);
            var vz = Vector512.Create(zero);
            var hi = Vector512.Create(Levels);
            for (; i <= k - 16; i += 16)
            {
                // vcvtps2dq rounds half to even (the default MXCSR mode), as MathF.Round(ToEven) does below.
                var n = Avx512F.ConvertToVector512Int32(Vector512.Load(x + i) * vi) + vz;
                n = Vector512.Min(Vector512.Max(n, Vector512<int>.Zero), hi);
                Avx512F.ConvertToVector128Byte(n.AsUInt32()).Store(q + i);
            }
        }
        else if (width >= SimdWidth.V256 && Avx2.IsSupported)
        {
            var vi = Vector256.Create(inverse);
            var vz = Vector256.Create(zero);
            var hi = Vector256.Create(Levels);
            for (; i <= k - 8; i += 8)
            {
                var n = Avx.ConvertToVector256Int32(Vector256.Load(x + i) * vi) + vz;
                n = Vector256.Min(Vector256.Max(n, Vector256<int>.Zero), hi);
                // Values are in [0, 127]: narrowing twice with saturation is exact.
                var shorts = Avx2.PackSignedSaturate(n, n);                       // lanes 0-3 | 0-3 | 4-7 | 4-7 (per 128-bit half)
                var bytes = Avx2.PackUnsignedSaturate(shorts, shorts);
                uint lo = bytes.AsUInt32().GetElement(0), up = bytes.AsUInt32().GetElement(4);
                *(uint*)(q + i) = lo;
                *(uint*)(q + i + 4) = up;
            }
        }
        for (; i < k; i++) q[i] = (byte)Math.Clamp((int)MathF.Round(x[i] * inverse, MidpointRounding.ToEven) + zero, 0, Levels);
        for (; i < Stride; i++) q[i] = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMin(Vector256<float> a, Vector256<float> b)
    {
        var m = Vector256.Min(a, b);
        var m128 = Vector128.Min(m.GetLower(), m.GetUpper());
        float r = m128.GetElement(0);
        for (int i = 1; i < 4; i++) r = Math.Min(r, m128.GetElement(i));
        return r;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float HorizontalMax(Vector256<float> a, Vector256<float> b)
    {
        var m = Vector256.Max(a, b);
        var m128 = Vector128.Max(m.GetLower(), m.GetUpper());
        float r = m128.GetElement(0);
        for (int i = 1; i < 4; i++) r = Math.Max(r, m128.GetElement(i));
        return r;
    }
}
