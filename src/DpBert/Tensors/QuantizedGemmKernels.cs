using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using DpBert.Tensors.MachineCode;

namespace DpBert.Tensors;

/// <summary>
/// int8 micro-kernels: a tile of up to <see cref="Rows"/> quantised activation rows (u7, one byte each) by one sliver
/// of quantised weights (s8, four k per 32-bit lane), accumulated exactly in int32 over the whole k range, then
/// dequantised: <c>C = scaleA[r] * scaleW[j] * (acc - zeroA[r] * colSum[j])</c>, and finished by <see cref="TileStore"/>.
/// </summary>
/// <remarks>
/// The multiply is <c>vpmaddubsw</c> (u8 x s8, pairs added in 16 bits; exact for 7-bit activations, see
/// <see cref="QuantizedRows"/>) then <c>vpmaddwd</c> by ones (pairs added into int32) and <c>vpaddd</c>: three
/// instructions for 64 multiply-adds at 512 bits. AVX-512 VNNI's <c>vpdpbusd</c> does the same in one, but .NET 10
/// exposes it only through <c>AvxVnni</c> (the VEX form, absent on Cascade Lake and Zen 4) and <c>Avx10v1</c>-era
/// classes these CPUs do not report; measured here on Zen 4, one core: the three-instruction chain runs 116 G
/// multiply-adds/s, 1.95 times the fp32 FMA rate (59.6). Where the processor has VNNI, <see cref="Tile512Vnni"/> gets the
/// same sums from machine code written at run time (<see cref="DotProductTileKernel.Int8"/>).
/// </remarks>
internal static unsafe class QuantizedGemmKernels
{
    /// <summary>Rows per micro-tile.</summary>
    public const int Rows = TileSchedule.TileRows;

    /// <summary>Per-tile dequantisation data: the row block's scales and zero points, the sliver's scales and column sums.</summary>
    public readonly struct Dequant(float* rowScale, int* rowZero, float* colScale, int* colSum)
    {
        public readonly float* RowScale = rowScale;
        public readonly int* RowZero = rowZero;
        public readonly float* ColScale = colScale;
        public readonly int* ColSum = colSum;
    }

    /// <summary>AVX-512BW tile: 6 rows x 32 channels, 12 int32 accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile512(byte* a, nint lda, sbyte* b, int quads, float* c, nint ldc, int rows, int cols,
        in Dequant d, bool accumulate, float* bias, bool gelu, float* tile)
    {
        byte* a0 = a;
        byte* a1 = a + lda * Math.Min(1, rows - 1);
        byte* a2 = a + lda * Math.Min(2, rows - 1);
        byte* a3 = a + lda * Math.Min(3, rows - 1);
        byte* a4 = a + lda * Math.Min(4, rows - 1);
        byte* a5 = a + lda * Math.Min(5, rows - 1);
        var ones = Vector512.Create((short)1);
        Vector512<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint o = 0;
        for (int p = 0; p < quads; p++, o += 4, b += 128)
        {
            var b0 = Vector512.LoadAligned(b);
            var b1 = Vector512.LoadAligned(b + 64);
            var x = Vector512.Create(*(int*)(a0 + o)).AsByte();
            c00 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b0), ones);
            c01 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b1), ones);
            x = Vector512.Create(*(int*)(a1 + o)).AsByte();
            c10 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b0), ones);
            c11 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b1), ones);
            x = Vector512.Create(*(int*)(a2 + o)).AsByte();
            c20 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b0), ones);
            c21 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b1), ones);
            x = Vector512.Create(*(int*)(a3 + o)).AsByte();
            c30 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b0), ones);
            c31 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b1), ones);
            x = Vector512.Create(*(int*)(a4 + o)).AsByte();
            c40 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b0), ones);
            c41 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b1), ones);
            x = Vector512.Create(*(int*)(a5 + o)).AsByte();
            c50 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b0), ones);
            c51 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(x, b1), ones);
        }
        FinishTile512(c, ldc, rows, cols, d, accumulate, bias, gelu, tile, c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51);
    }

    /// <summary>
    /// <see cref="Tile512"/> with the integer sums from AVX512-VNNI (<see cref="DotProductTileKernel.Int8"/>, one <c>vpdpbusd</c>
    /// per 64 multiply-adds): the same sums, the same dequantisation and store.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization), SkipLocalsInit]
    public static void Tile512Vnni(byte* a, nint lda, sbyte* b, int quads, float* c, nint ldc, int rows, int cols,
        in Dequant d, bool accumulate, float* bias, bool gelu, float* tile)
    {
        void** rowPointers = stackalloc void*[Rows];
        for (int r = 0; r < Rows; r++) rowPointers[r] = a + lda * Math.Min(r, rows - 1);
        int* acc = stackalloc int[Rows * 32];
        DotProductTileKernel.Int8.Accumulate(rowPointers, b, quads, acc);
        FinishTile512(c, ldc, rows, cols, d, accumulate, bias, gelu, tile,
            Vector512.Load(acc), Vector512.Load(acc + 16), Vector512.Load(acc + 32), Vector512.Load(acc + 48),
            Vector512.Load(acc + 64), Vector512.Load(acc + 80), Vector512.Load(acc + 96), Vector512.Load(acc + 112),
            Vector512.Load(acc + 128), Vector512.Load(acc + 144), Vector512.Load(acc + 160), Vector512.Load(acc + 176));
    }

    /// <summary>Dequantises a 6 x 32 tile of int32 sums (two vectors per row) and stores it through <see cref="TileStore"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FinishTile512(float* c, nint ldc, int rows, int cols, in Dequant d, bool accumulate, float* bias, bool gelu, float* tile,
        Vector512<int> c00, Vector512<int> c01, Vector512<int> c10, Vector512<int> c11, Vector512<int> c20, Vector512<int> c21,
        Vector512<int> c30, Vector512<int> c31, Vector512<int> c40, Vector512<int> c41, Vector512<int> c50, Vector512<int> c51)
    {
        var sum0 = Vector512.Load(d.ColSum);
        var sum1 = Vector512.Load(d.ColSum + 16);
        var scale0 = Vector512.Load(d.ColScale);
        var scale1 = Vector512.Load(d.ColScale + 16);
        bool full = rows == Rows && cols == 32;
        Finish512(full ? c : tile, full ? ldc : 32, 0, d, sum0, sum1, scale0, scale1, c00, c01, full, accumulate, bias, gelu);
        Finish512(full ? c : tile, full ? ldc : 32, 1, d, sum0, sum1, scale0, scale1, c10, c11, full, accumulate, bias, gelu);
        Finish512(full ? c : tile, full ? ldc : 32, 2, d, sum0, sum1, scale0, scale1, c20, c21, full, accumulate, bias, gelu);
        Finish512(full ? c : tile, full ? ldc : 32, 3, d, sum0, sum1, scale0, scale1, c30, c31, full, accumulate, bias, gelu);
        Finish512(full ? c : tile, full ? ldc : 32, 4, d, sum0, sum1, scale0, scale1, c40, c41, full, accumulate, bias, gelu);
        Finish512(full ? c : tile, full ? ldc : 32, 5, d, sum0, sum1, scale0, scale1, c50, c51, full, accumulate, bias, gelu);
        if (full) TileStore.GeluStored512(c, ldc, Rows, accumulate, gelu);
        else TileStore.Edge(tile, 32, c, ldc, rows, cols, accumulate, bias, gelu, SimdWidth.V512);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish512(float* c, nint ldc, int r, in Dequant d, Vector512<int> sum0, Vector512<int> sum1,
        Vector512<float> scale0, Vector512<float> scale1, Vector512<int> acc0, Vector512<int> acc1, bool full, bool accumulate, float* bias, bool gelu)
    {
        var zero = Vector512.Create(d.RowZero[r]);
        var rowScale = Vector512.Create(d.RowScale[r]);
        var v0 = Avx512F.ConvertToVector512Single(acc0 - zero * sum0) * (rowScale * scale0);
        var v1 = Avx512F.ConvertToVector512Single(acc1 - zero * sum1) * (rowScale * scale1);
        if (full) TileStore.Row512(c + r * ldc, accumulate, bias, gelu, v0, v1);
        else { v0.Store(c + r * ldc); v1.Store(c + r * ldc + 16); }
    }

    /// <summary>AVX2 tile: 6 rows x 16 channels, 12 int32 accumulators of 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile256(byte* a, nint lda, sbyte* b, int quads, float* c, nint ldc, int rows, int cols,
        in Dequant d, bool accumulate, float* bias, bool gelu, float* tile)
    {
        byte* a0 = a;
        byte* a1 = a + lda * Math.Min(1, rows - 1);
        byte* a2 = a + lda * Math.Min(2, rows - 1);
        byte* a3 = a + lda * Math.Min(3, rows - 1);
        byte* a4 = a + lda * Math.Min(4, rows - 1);
        byte* a5 = a + lda * Math.Min(5, rows - 1);
        var ones = Vector256.Create((short)1);
        Vector256<int> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<int> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint o = 0;
        for (int p = 0; p < quads; p++, o += 4, b += 64)
        {
            var b0 = Vector256.LoadAligned(b);
            var b1 = Vector256.LoadAligned(b + 32);
            var x = Vector256.Create(*(int*)(a0 + o)).AsByte();
            c00 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b0), ones);
            c01 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b1), ones);
            x = Vector256.Create(*(int*)(a1 + o)).AsByte();
            c10 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b0), ones);
            c11 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b1), ones);
            x = Vector256.Create(*(int*)(a2 + o)).AsByte();
            c20 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b0), ones);
            c21 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b1), ones);
            x = Vector256.Create(*(int*)(a3 + o)).AsByte();
            c30 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b0), ones);
            c31 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b1), ones);
            x = Vector256.Create(*(int*)(a4 + o)).AsByte();
            c40 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b0), ones);
            c41 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b1), ones);
            x = Vector256.Create(*(int*)(a5 + o)).AsByte();
            c50 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b0), ones);
            c51 += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(x, b1), ones);
        }
        var sum0 = Vector256.Load(d.ColSum);
        var sum1 = Vector256.Load(d.ColSum + 8);
        var scale0 = Vector256.Load(d.ColScale);
        var scale1 = Vector256.Load(d.ColScale + 8);
        bool full = rows == Rows && cols == 16;
        Finish256(full ? c : tile, full ? ldc : 16, 0, d, sum0, sum1, scale0, scale1, c00, c01, full, accumulate, bias, gelu);
        Finish256(full ? c : tile, full ? ldc : 16, 1, d, sum0, sum1, scale0, scale1, c10, c11, full, accumulate, bias, gelu);
        Finish256(full ? c : tile, full ? ldc : 16, 2, d, sum0, sum1, scale0, scale1, c20, c21, full, accumulate, bias, gelu);
        Finish256(full ? c : tile, full ? ldc : 16, 3, d, sum0, sum1, scale0, scale1, c30, c31, full, accumulate, bias, gelu);
        Finish256(full ? c : tile, full ? ldc : 16, 4, d, sum0, sum1, scale0, scale1, c40, c41, full, accumulate, bias, gelu);
        Finish256(full ? c : tile, full ? ldc : 16, 5, d, sum0, sum1, scale0, scale1, c50, c51, full, accumulate, bias, gelu);
        if (full) TileStore.GeluStored256(c, ldc, Rows, accumulate, gelu);
        else TileStore.Edge(tile, 16, c, ldc, rows, cols, accumulate, bias, gelu, SimdWidth.V256);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Finish256(float* c, nint ldc, int r, in Dequant d, Vector256<int> sum0, Vector256<int> sum1,
        Vector256<float> scale0, Vector256<float> scale1, Vector256<int> acc0, Vector256<int> acc1, bool full, bool accumulate, float* bias, bool gelu)
    {
        var zero = Vector256.Create(d.RowZero[r]);
        var rowScale = Vector256.Create(d.RowScale[r]);
        var v0 = Avx.ConvertToVector256Single(acc0 - zero * sum0) * (rowScale * scale0);
        var v1 = Avx.ConvertToVector256Single(acc1 - zero * sum1) * (rowScale * scale1);
        if (full) TileStore.Row256(c + r * ldc, accumulate, bias, gelu, v0, v1);
        else { v0.Store(c + r * ldc); v1.Store(c + r * ldc + 8); }
    }

    /// <summary>Scalar tile (any processor): the same integer arithmetic and dequantisation in plain loops.</summary>
    public static void TileScalar(byte* a, nint lda, sbyte* b, int width, int quads, float* c, nint ldc, int rows, int cols,
        in Dequant d, bool accumulate, float* bias, bool gelu, float* tile)
    {
        for (int r = 0; r < rows; r++)
        {
            byte* ar = a + r * lda;
            for (int j = 0; j < cols; j++)
            {
                int acc = 0;
                sbyte* bj = b + j * 4;
                for (int p = 0; p < quads; p++)
                {
                    byte* x = ar + 4 * p;
                    sbyte* w = bj + (nint)p * width * 4;
                    acc += x[0] * w[0] + x[1] * w[1] + x[2] * w[2] + x[3] * w[3];
                }
                tile[r * width + j] = (acc - d.RowZero[r] * d.ColSum[j]) * (d.RowScale[r] * d.ColScale[j]);
            }
        }
        TileStore.Edge(tile, width, c, ldc, rows, cols, accumulate, bias, gelu, SimdWidth.Scalar);
    }
}
