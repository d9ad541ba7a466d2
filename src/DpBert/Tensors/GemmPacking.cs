using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DpBert.Tensors;

/// <summary>Rearranges GEMM operands into the layout the micro-kernels read.</summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Writes columns <c>[j0, j0 + cols)</c> of op(B) (k rows) to <paramref name="dst"/> as a
    /// <c>(k, width)</c> row-major sliver, zero-filling columns past <paramref name="cols"/>.
    /// </summary>
    public static void PackSliver(float* dst, float* b, nint ldb, bool transB, int k, int j0, int cols, int width)
    {
        if (!transB)
        {
            // op(B)[p, j] = b[p * ldb + j]: each sliver row is a contiguous run.
            for (int p = 0; p < k; p++)
            {
                float* src = b + p * ldb + j0;
                float* d = dst + (nint)p * width;
                new ReadOnlySpan<float>(src, cols).CopyTo(new Span<float>(d, cols));
                if (cols < width) new Span<float>(d + cols, width - cols).Clear();
            }
            return;
        }
        // op(B)[p, j] = b[j * ldb + p]: eight stored rows are read side by side so that every write
        // to the sliver is eight contiguous floats instead of one float per cache line.
        if (cols < width)
        {
            for (int p = 0; p < k; p++) new Span<float>(dst + (nint)p * width + cols, width - cols).Clear();
        }
        int j = 0;
        for (; j + 8 <= cols; j += 8)
        {
            float* s0 = b + (nint)(j0 + j) * ldb;
            float* s1 = s0 + ldb, s2 = s1 + ldb, s3 = s2 + ldb, s4 = s3 + ldb, s5 = s4 + ldb, s6 = s5 + ldb, s7 = s6 + ldb;
            float* d = dst + j;
            int p = 0;
            if (Avx.IsSupported)
            {
                // 8 x 8 blocks transposed in registers (measured on Zen 4: ... than gathering one float of each row per store).
                for (; p + 8 <= k; p += 8, d += 8 * width)
                    Transpose8x8(Avx.LoadVector256(s0 + p), Avx.LoadVector256(s1 + p), Avx.LoadVector256(s2 + p), Avx.LoadVector256(s3 + p),
                        Avx.LoadVector256(s4 + p), Avx.LoadVector256(s5 + p), Avx.LoadVector256(s6 + p), Avx.LoadVector256(s7 + p), d, width);
            }
            for (; p < k; p++, d += width)
            {
                Vector256.Create(s0[p], s1[p], s2[p], s3[p], s4[p], s5[p], s6[p], s7[p]).Store(d);
            }
        }
        for (; j < cols; j++)
        {
            float* src = b + (nint)(j0 + j) * ldb;
            float* d = dst + j;
            for (int p = 0; p < k; p++) d[(nint)p * width] = src[p];
        }
    }

    /// <summary>Writes the transpose of the 8 x 8 block whose rows are <paramref name="r0"/>..<paramref name="r7"/>: column c to <c>d + c * stride</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* d, nint stride)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(d + stride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(d + 2 * stride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(d + 3 * stride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(d + 4 * stride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(d + 5 * stride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(d + 6 * stride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(d + 7 * stride, Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>
    /// Packs stored rows <c>[p0, p1)</c> of a transposed A (<c>op(A)[i, p] = a[p * lda + i]</c>, m columns used) into every
    /// panel at once: panel q holds rows <c>[q * height, (q + 1) * height)</c> of op(A) as a <c>(k, height)</c> block at
    /// <c>dst + q * height * k</c>, rows past m zero. Each stored row is read once, start to end.
    /// </summary>
    public static void PackPanelsTransposed(float* dst, float* a, nint lda, int k, int p0, int p1, int m, int height)
    {
        int panels = (m + height - 1) / height, full = m / height;
        for (int p = p0; p < p1; p++)
        {
            float* src = a + p * lda;
            float* d = dst + (nint)p * height;
            nint panelStride = (nint)height * k;
            int q = 0;
            if (height == 6)
            {
                for (; q < full; q++, d += panelStride, src += 6)
                {
                    Vector128.Store(Vector128.Load(src), d);
                    Vector64.Store(Vector64.Load(src + 4), d + 4);
                }
            }
            for (; q < panels; q++, d += panelStride, src += height)
            {
                int rows = Math.Min(height, m - q * height);
                int r = 0;
                for (; r < rows; r++) d[r] = src[r];
                for (; r < height; r++) d[r] = 0f;
            }
        }
    }

    /// <summary>
    /// Writes rows <c>[i0, i0 + rows)</c> of op(A) (k columns) to <paramref name="dst"/> as a <c>(k, height)</c>
    /// panel: the <paramref name="height"/> values of one k step side by side, rows past <paramref name="rows"/> zero.
    /// </summary>
    public static void PackPanel(float* dst, float* a, nint lda, bool transA, int k, int i0, int rows, int height)
    {
        if (transA)
        {
            // op(A)[i, p] = a[p * lda + i]: each k step's values are already adjacent.
            for (int p = 0; p < k; p++)
            {
                float* src = a + p * lda + i0;
                float* d = dst + (nint)p * height;
                int r = 0;
                for (; r < rows; r++) d[r] = src[r];
                for (; r < height; r++) d[r] = 0f;
            }
            return;
        }
        // op(A)[i, p] = a[i * lda + p]: read each row once, sequentially.
        for (int r = 0; r < height; r++)
        {
            float* d = dst + r;
            if (r >= rows)
            {
                for (int p = 0; p < k; p++) d[(nint)p * height] = 0f;
                continue;
            }
            float* src = a + (nint)(i0 + r) * lda;
            for (int p = 0; p < k; p++) d[(nint)p * height] = src[p];
        }
    }
}
