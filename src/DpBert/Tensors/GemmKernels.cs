using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DpBert.Tensors;

/// <summary>
/// Register-blocked GEMM micro-kernels: a tile of up to <see cref="Rows"/> rows of C by one packed
/// sliver of B, accumulated over the whole k range in registers. A is read in place through two
/// strides (between rows, between k steps), so neither A nor its transpose is ever copied.
/// </summary>
internal static unsafe class GemmKernels
{
    /// <summary>Rows of C per micro-tile (MR).</summary>
    public const int Rows = TileSchedule.TileRows;

    /// <summary>Floats of the scratch tile a caller passes for partial tiles (Rows x the widest sliver).</summary>
    public const int TileScratch = Rows * 32;

    /// <summary>
    /// AVX-512 6x32 tile: 12 accumulators, two B vectors and one broadcast A value per k step.
    /// <paramref name="rows"/> (1..6) and <paramref name="cols"/> (1..32) bound the valid part.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile512(float* a, nint rowStride, nint kStride, float* b, int k,
        float* c, nint ldc, int rows, int cols, bool accumulate, float* bias, bool gelu, float* tile)
    {
        // Rows past the end read the last valid row; their results are discarded.
        float* a0 = a;
        float* a1 = a + rowStride * Math.Min(1, rows - 1);
        float* a2 = a + rowStride * Math.Min(2, rows - 1);
        float* a3 = a + rowStride * Math.Min(3, rows - 1);
        float* a4 = a + rowStride * Math.Min(4, rows - 1);
        float* a5 = a + rowStride * Math.Min(5, rows - 1);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint o = 0;
        for (int p = 0; p < k; p++, o += kStride, b += 32)
        {
            var b0 = Avx512F.LoadAlignedVector512(b);
            var b1 = Avx512F.LoadAlignedVector512(b + 16);
            var x = Vector512.Create(a0[o]);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[o]);
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[o]);
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[o]);
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[o]);
            c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[o]);
            c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
        }
        if (rows == Rows && cols == 32)
        {
            TileStore.Row512(c, accumulate, bias, gelu, c00, c01);
            TileStore.Row512(c + ldc, accumulate, bias, gelu, c10, c11);
            TileStore.Row512(c + 2 * ldc, accumulate, bias, gelu, c20, c21);
            TileStore.Row512(c + 3 * ldc, accumulate, bias, gelu, c30, c31);
            TileStore.Row512(c + 4 * ldc, accumulate, bias, gelu, c40, c41);
            TileStore.Row512(c + 5 * ldc, accumulate, bias, gelu, c50, c51);
            TileStore.GeluStored512(c, ldc, Rows, accumulate, gelu);
            return;
        }
        c00.Store(tile); c01.Store(tile + 16); c10.Store(tile + 32); c11.Store(tile + 48);
        c20.Store(tile + 64); c21.Store(tile + 80); c30.Store(tile + 96); c31.Store(tile + 112);
        c40.Store(tile + 128); c41.Store(tile + 144); c50.Store(tile + 160); c51.Store(tile + 176);
        TileStore.Edge(tile, 32, c, ldc, rows, cols, accumulate, bias, gelu, SimdWidth.V512);
    }

    /// <summary>
    /// AVX2 6x16 tile: 12 accumulators of 8 floats, for processors without AVX-512.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile256(float* a, nint rowStride, nint kStride, float* b, int k,
        float* c, nint ldc, int rows, int cols, bool accumulate, float* bias, bool gelu, float* tile)
    {
        float* a0 = a;
        float* a1 = a + rowStride * Math.Min(1, rows - 1);
        float* a2 = a + rowStride * Math.Min(2, rows - 1);
        float* a3 = a + rowStride * Math.Min(3, rows - 1);
        float* a4 = a + rowStride * Math.Min(4, rows - 1);
        float* a5 = a + rowStride * Math.Min(5, rows - 1);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint o = 0;
        for (int p = 0; p < k; p++, o += kStride, b += 16)
        {
            var b0 = Avx.LoadAlignedVector256(b);
            var b1 = Avx.LoadAlignedVector256(b + 8);
            var x = Vector256.Create(a0[o]);
            c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Vector256.Create(a1[o]);
            c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Vector256.Create(a2[o]);
            c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Vector256.Create(a3[o]);
            c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Vector256.Create(a4[o]);
            c40 = Fma.MultiplyAdd(x, b0, c40); c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Vector256.Create(a5[o]);
            c50 = Fma.MultiplyAdd(x, b0, c50); c51 = Fma.MultiplyAdd(x, b1, c51);
        }
        if (rows == Rows && cols == 16)
        {
            TileStore.Row256(c, accumulate, bias, gelu, c00, c01);
            TileStore.Row256(c + ldc, accumulate, bias, gelu, c10, c11);
            TileStore.Row256(c + 2 * ldc, accumulate, bias, gelu, c20, c21);
            TileStore.Row256(c + 3 * ldc, accumulate, bias, gelu, c30, c31);
            TileStore.Row256(c + 4 * ldc, accumulate, bias, gelu, c40, c41);
            TileStore.Row256(c + 5 * ldc, accumulate, bias, gelu, c50, c51);
            TileStore.GeluStored256(c, ldc, Rows, accumulate, gelu);
            return;
        }
        c00.Store(tile); c01.Store(tile + 8); c10.Store(tile + 16); c11.Store(tile + 24);
        c20.Store(tile + 32); c21.Store(tile + 40); c30.Store(tile + 48); c31.Store(tile + 56);
        c40.Store(tile + 64); c41.Store(tile + 72); c50.Store(tile + 80); c51.Store(tile + 88);
        TileStore.Edge(tile, 16, c, ldc, rows, cols, accumulate, bias, gelu, SimdWidth.V256);
    }

    /// <summary>Portable tile (Vector128 or scalar hardware): same contract, plain loops over a packed sliver.</summary>
    public static void TilePortable(float* a, nint rowStride, nint kStride, float* b, int width, int k,
        float* c, nint ldc, int rows, int cols, bool accumulate, float* bias, bool gelu, float* tile)
    {
        new Span<float>(tile, Rows * width).Clear();
        for (int r = 0; r < rows; r++)
        {
            float* ar = a + r * rowStride;
            float* tr = tile + r * width;
            for (int p = 0; p < k; p++)
            {
                float x = ar[p * kStride];
                float* bp = b + (nint)p * width;
                for (int j = 0; j < cols; j++) tr[j] = MathF.FusedMultiplyAdd(x, bp[j], tr[j]);
            }
        }
        TileStore.Edge(tile, width, c, ldc, rows, cols, accumulate, bias, gelu, SimdWidth.Scalar);
    }
}
