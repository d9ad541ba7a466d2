using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DpBert.Tensors.MachineCode;

namespace DpBert.Tensors;

/// <summary>
/// bf16 micro-kernels: activations already rounded to bf16 (held as floats), weights stored as bf16 pairs
/// (<see cref="BFloat16Matrix"/>), every product exact in fp32 and accumulated in fp32 with fused multiply-adds: the
/// arithmetic of AVX512-BF16's <c>vdpbf16ps</c>, computed with AVX-512F / AVX2 FMAs because .NET 10 has no intrinsic
/// for it. A loaded vector of pairs becomes two float vectors by a shift (even k) and a mask (odd k). Where the processor
/// has AVX512-BF16, <see cref="Tile512Dot"/> runs the instruction itself from machine code written at run time.
/// </summary>
internal static unsafe class BFloat16GemmKernels
{
    /// <summary>Rows per micro-tile.</summary>
    public const int Rows = TileSchedule.TileRows;

    /// <summary>AVX-512 tile: 6 rows x 32 channels, 12 fp32 accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile512(float* a, nint lda, ushort* b, int pairs, float* c, nint ldc, int rows, int cols,
        bool accumulate, float* bias, bool gelu, float* tile)
    {
        float* a0 = a;
        float* a1 = a + lda * Math.Min(1, rows - 1);
        float* a2 = a + lda * Math.Min(2, rows - 1);
        float* a3 = a + lda * Math.Min(3, rows - 1);
        float* a4 = a + lda * Math.Min(4, rows - 1);
        float* a5 = a + lda * Math.Min(5, rows - 1);
        var high = Vector512.Create(0xFFFF0000u);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint o = 0;
        for (int p = 0; p < pairs; p++, o += 2, b += 64)
        {
            var w0 = Vector512.LoadAligned((uint*)b);
            var w1 = Vector512.LoadAligned((uint*)b + 16);
            var e0 = (w0 << 16).AsSingle();
            var e1 = (w1 << 16).AsSingle();
            var x = Vector512.Create(a0[o]);
            c00 = Avx512F.FusedMultiplyAdd(x, e0, c00); c01 = Avx512F.FusedMultiplyAdd(x, e1, c01);
            x = Vector512.Create(a1[o]);
            c10 = Avx512F.FusedMultiplyAdd(x, e0, c10); c11 = Avx512F.FusedMultiplyAdd(x, e1, c11);
            x = Vector512.Create(a2[o]);
            c20 = Avx512F.FusedMultiplyAdd(x, e0, c20); c21 = Avx512F.FusedMultiplyAdd(x, e1, c21);
            x = Vector512.Create(a3[o]);
            c30 = Avx512F.FusedMultiplyAdd(x, e0, c30); c31 = Avx512F.FusedMultiplyAdd(x, e1, c31);
            x = Vector512.Create(a4[o]);
            c40 = Avx512F.FusedMultiplyAdd(x, e0, c40); c41 = Avx512F.FusedMultiplyAdd(x, e1, c41);
            x = Vector512.Create(a5[o]);
            c50 = Avx512F.FusedMultiplyAdd(x, e0, c50); c51 = Avx512F.FusedMultiplyAdd(x, e1, c51);
            var d0 = (w0 & high).AsSingle();
            var d1 = (w1 & high).AsSingle();
            x = Vector512.Create(a0[o + 1]);
            c00 = Avx512F.FusedMultiplyAdd(x, d0, c00); c01 = Avx512F.FusedMultiplyAdd(x, d1, c01);
            x = Vector512.Create(a1[o + 1]);
            c10 = Avx512F.FusedMultiplyAdd(x, d0, c10); c11 = Avx512F.FusedMultiplyAdd(x, d1, c11);
            x = Vector512.Create(a2[o + 1]);
            c20 = Avx512F.FusedMultiplyAdd(x, d0, c20); c21 = Avx512F.FusedMultiplyAdd(x, d1, c21);
            x = Vector512.Create(a3[o + 1]);
            c30 = Avx512F.FusedMultiplyAdd(x, d0, c30); c31 = Avx512F.FusedMultiplyAdd(x, d1, c31);
            x = Vector512.Create(a4[o + 1]);
            c40 = Avx512F.FusedMultiplyAdd(x, d0, c40); c41 = Avx512F.FusedMultiplyAdd(x, d1, c41);
            x = Vector512.Create(a5[o + 1]);
            c50 = Avx512F.FusedMultiplyAdd(x, d0, c50); c51 = Avx512F.FusedMultiplyAdd(x, d1, c51);
        }
        StoreTile512(c, ldc, rows, cols, accumulate, bias, gelu, tile, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
    }

    /// <summary>
    /// <see cref="Tile512"/> on AVX512-BF16's <c>vdpbf16ps</c> (<see cref="DotProductTileKernel.BFloat16"/>): activation
    /// rows held as bf16 bits (<paramref name="a"/>, pairs of k per 32-bit lane like the weights), the same products in
    /// fp32, summed in the instruction's order (each pair's odd k before its even k), with the instruction's handling of
    /// subnormals (inputs and results flushed to zero; the managed tiles keep them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    public static void Tile512Dot(ushort* a, nint lda, ushort* b, int pairs, float* c, nint ldc, int rows, int cols,
        bool accumulate, float* bias, bool gelu, float* tile)
    {
        void** rowPointers = stackalloc void*[Rows];
        for (int r = 0; r < Rows; r++) rowPointers[r] = a + lda * Math.Min(r, rows - 1);
        float* acc = stackalloc float[Rows * 32];
        DotProductTileKernel.BFloat16.Accumulate(rowPointers, b, pairs, acc);
        StoreTile512(c, ldc, rows, cols, accumulate, bias, gelu, tile,
            Vector512.Load(acc), Vector512.Load(acc + 16), Vector512.Load(acc + 32), Vector512.Load(acc + 48),
            Vector512.Load(acc + 64), Vector512.Load(acc + 80), Vector512.Load(acc + 96), Vector512.Load(acc + 112),
            Vector512.Load(acc + 128), Vector512.Load(acc + 144), Vector512.Load(acc + 160), Vector512.Load(acc + 176));
    }

    /// <summary>Stores a 6 x 32 tile of fp32 sums (two vectors per row) through <see cref="TileStore"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreTile512(float* c, nint ldc, int rows, int cols, bool accumulate, float* bias, bool gelu, float* tile,
        Vector512<float> c00, Vector512<float> c01, Vector512<float> c10, Vector512<float> c11, Vector512<float> c20, Vector512<float> c21,
        Vector512<float> c30, Vector512<float> c31, Vector512<float> c40, Vector512<float> c41, Vector512<float> c50, Vector512<float> c51)
    {
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

    /// <summary>AVX2 tile: 6 rows x 16 channels, 12 fp32 accumulators of 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile256(float* a, nint lda, ushort* b, int pairs, float* c, nint ldc, int rows, int cols,
        bool accumulate, float* bias, bool gelu, float* tile)
    {
        float* a0 = a;
        float* a1 = a + lda * Math.Min(1, rows - 1);
        float* a2 = a + lda * Math.Min(2, rows - 1);
        float* a3 = a + lda * Math.Min(3, rows - 1);
        float* a4 = a + lda * Math.Min(4, rows - 1);
        float* a5 = a + lda * Math.Min(5, rows - 1);
        var high = Vector256.Create(0xFFFF0000u);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint o = 0;
        for (int p = 0; p < pairs; p++, o += 2, b += 32)
        {
            var w0 = Vector256.LoadAligned((uint*)b);
            var w1 = Vector256.LoadAligned((uint*)b + 8);
            var e0 = (w0 << 16).AsSingle();
            var e1 = (w1 << 16).AsSingle();
            var x = Vector256.Create(a0[o]);
            c00 = Fma.MultiplyAdd(x, e0, c00); c01 = Fma.MultiplyAdd(x, e1, c01);
            x = Vector256.Create(a1[o]);
            c10 = Fma.MultiplyAdd(x, e0, c10); c11 = Fma.MultiplyAdd(x, e1, c11);
            x = Vector256.Create(a2[o]);
            c20 = Fma.MultiplyAdd(x, e0, c20); c21 = Fma.MultiplyAdd(x, e1, c21);
            x = Vector256.Create(a3[o]);
            c30 = Fma.MultiplyAdd(x, e0, c30); c31 = Fma.MultiplyAdd(x, e1, c31);
            x = Vector256.Create(a4[o]);
            c40 = Fma.MultiplyAdd(x, e0, c40); c41 = Fma.MultiplyAdd(x, e1, c41);
            x = Vector256.Create(a5[o]);
            c50 = Fma.MultiplyAdd(x, e0, c50); c51 = Fma.MultiplyAdd(x, e1, c51);
            var d0 = (w0 & high).AsSingle();
            var d1 = (w1 & high).AsSingle();
            x = Vector256.Create(a0[o + 1]);
            c00 = Fma.MultiplyAdd(x, d0, c00); c01 = Fma.MultiplyAdd(x, d1, c01);
            x = Vector256.Create(a1[o + 1]);
            c10 = Fma.MultiplyAdd(x, d0, c10); c11 = Fma.MultiplyAdd(x, d1, c11);
            x = Vector256.Create(a2[o + 1]);
            c20 = Fma.MultiplyAdd(x, d0, c20); c21 = Fma.MultiplyAdd(x, d1, c21);
            x = Vector256.Create(a3[o + 1]);
            c30 = Fma.MultiplyAdd(x, d0, c30); c31 = Fma.MultiplyAdd(x, d1, c31);
            x = Vector256.Create(a4[o + 1]);
            c40 = Fma.MultiplyAdd(x, d0, c40); c41 = Fma.MultiplyAdd(x, d1, c41);
            x = Vector256.Create(a5[o + 1]);
            c50 = Fma.MultiplyAdd(x, d0, c50); c51 = Fma.MultiplyAdd(x, d1, c51);
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

    /// <summary>Scalar tile: the same products, accumulated in the same k order with fused multiply-adds.</summary>
    public static void TileScalar(float* a, nint lda, ushort* b, int width, int pairs, float* c, nint ldc, int rows, int cols,
        bool accumulate, float* bias, bool gelu, float* tile)
    {
        for (int r = 0; r < rows; r++)
        {
            float* ar = a + r * lda;
            for (int j = 0; j < cols; j++)
            {
                float acc = 0;
                ushort* bj = b + j * 2;
                for (int p = 0; p < pairs; p++)
                {
                    ushort* w = bj + (nint)p * width * 2;
                    acc = MathF.FusedMultiplyAdd(ar[2 * p], BFloat16.ToSingle(w[0]), acc);
                    acc = MathF.FusedMultiplyAdd(ar[2 * p + 1], BFloat16.ToSingle(w[1]), acc);
                }
                tile[r * width + j] = acc;
            }
        }
        TileStore.Edge(tile, width, c, ldc, rows, cols, accumulate, bias, gelu, SimdWidth.Scalar);
    }
}
