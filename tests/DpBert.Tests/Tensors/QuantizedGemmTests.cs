using System.Runtime.Intrinsics.X86;
using DpBert.Tensors;
using DpBert.Tensors.MachineCode;

namespace DpBert.Tests.Tensors;

public unsafe class QuantizedGemmTests
{
    /// <summary>Every int8 width this processor runs: the scalar tile always, AVX2 and AVX-512BW where present.</summary>
    public static TheoryData<SimdWidth> Widths()
    {
        var data = new TheoryData<SimdWidth> { SimdWidth.Scalar };
        if (Avx2.IsSupported && Simd.IsSupported(SimdWidth.V256)) data.Add(SimdWidth.V256);
        if (Avx512BW.IsSupported) data.Add(SimdWidth.V512);
        return data;
    }

    /// <summary>
    /// Every int8 GEMM kernel this processor runs: each width's, plus the AVX512-VNNI tile (machine code written at run
    /// time) where the processor has VNNI; on a processor without it the (V512, true) case is absent, not skipped silently:
    /// <see cref="MachineCodeTests.Each_kernel_runs_where_the_processor_reports_its_extension"/> checks which.
    /// </summary>
    public static TheoryData<SimdWidth, bool> Kernels()
    {
        var data = new TheoryData<SimdWidth, bool>();
        foreach (var width in Widths()) data.Add(width, false);
        if (DotProductTileKernel.Int8.IsAvailable) data.Add(SimdWidth.V512, true);
        return data;
    }

    private static QuantizedRows QuantizeRows(SimdWidth width, float[] a, int lda, int m, int k)
    {
        var rows = new QuantizedRows();
        rows.Resize(m, k);
        fixed (float* pa = a)
            for (int r = 0; r < m; r++) rows.QuantizeRow(width, r, pa + r * lda, k);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernels_match_the_quantised_arithmetic_in_double_for_a_sweep_of_shapes(SimdWidth width, bool vnni)
    {
        int seed = 0;
        foreach (int m in new[] { 1, 5, 6, 7, 13 })
        foreach (int n in new[] { 1, 15, 16, 17, 32, 33, 70 })
        foreach (int k in new[] { 1, 3, 4, 5, 37, 64, 300 })
        {
            seed++;
            bool accumulate = seed % 3 == 0, gelu = seed % 3 == 1 && !accumulate;
            int lda = k + 2, ldc = n + 3;
            var a = KernelAssert.Random(m * lda, seed, scale: 3f);
            var w = KernelAssert.Random(n * k, seed + 1000, scale: 0.2f);
            var bias = seed % 2 == 0 ? KernelAssert.Random(n, seed + 2000) : [];
            var rows = QuantizeRows(width, a, lda, m, k);
            var q = QuantizedMatrix.Quantize(width, w, k, n, k);
            var c0 = KernelAssert.Random(m * ldc, seed + 3000);
            var expected = (float[])c0.Clone();
            var actual = (float[])c0.Clone();
            QuantizedGemmReference.Multiply(expected, ldc, rows, q, accumulate, bias, gelu);
            QuantizedGemm.Multiply(width, actual, ldc, rows, q, accumulate, bias, gelu, vnni);
            // Integer sums are exact; what is left is the float rounding of the dequantisation (and GELU's erf form).
            KernelAssert.Close(expected, actual, 2e-6, 2e-6, $"{width} vnni={vnni} m={m} n={n} k={k} accumulate={accumulate} gelu={gelu}");
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Quantising_and_multiplying_from_floats_is_the_same_as_in_two_steps(SimdWidth width, bool vnni)
    {
        const int m = 131, n = 200, k = 97;   // large enough to split over the pool, with partial tiles and slivers
        var a = KernelAssert.Random(m * k, 1, scale: 2f);
        var w = KernelAssert.Random(n * k, 2, scale: 0.1f);
        var bias = KernelAssert.Random(n, 3);
        var q = QuantizedMatrix.Quantize(width, w, k, n, k);
        var expected = new float[m * n];
        var actual = new float[m * n];
        QuantizedGemmReference.Multiply(expected, n, QuantizeRows(SimdWidth.Scalar, a, k, m, k), q, bias: bias);
        QuantizedGemm.Multiply(width, actual, n, a, k, q, m, bias: bias, vnni: vnni);
        KernelAssert.Close(expected, actual, 2e-6, 2e-6, $"{width} vnni={vnni} from floats");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Row_quantisation_is_the_same_at_every_width_and_follows_its_definition(SimdWidth width)
    {
        foreach (int k in Enumerable.Range(1, 70).Append(257))
        {
            var x = KernelAssert.Random(k, k, scale: 5f);
            if (k % 5 == 0) for (int i = 0; i < k; i++) x[i] = Math.Abs(x[i]) + 1;   // all positive: the range starts at 0
            if (k % 7 == 0) for (int i = 0; i < k; i++) x[i] = -Math.Abs(x[i]);      // all negative: zero point 127
            var rows = QuantizeRows(width, x, k, 1, k);
            float min = Math.Min(0, x.Min()), max = Math.Max(0, x.Max());
            float scale = (max - min) / 127f, inverse = 1f / scale;
            int zero = (int)Math.Clamp(MathF.Round(-min * inverse, MidpointRounding.ToEven), 0, 127);
            Assert.Equal(scale, rows.Scales[0]);
            Assert.Equal(zero, rows.ZeroPoints[0]);
            for (int p = 0; p < k; p++)
            {
                int expected = Math.Clamp((int)MathF.Round(x[p] * inverse, MidpointRounding.ToEven) + zero, 0, 127);
                Assert.True(rows.At(0, p) == expected, $"{width} k={k} p={p}: {rows.At(0, p)} != {expected} (x={x[p]})");
                // The dequantised value is within half a step of x.
                Assert.InRange((rows.At(0, p) - zero) * scale - x[p], -0.5001f * scale, 0.5001f * scale);
            }
            for (int p = k; p < rows.Stride; p++) Assert.Equal(0, rows.At(0, p));
        }
    }

    [Fact]
    public void Zero_rows_and_exact_zeros_stay_exactly_zero()
    {
        var x = new float[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
        var rows = QuantizeRows(QuantizedGemm.BestWidth, x, x.Length, 1, x.Length);
        Assert.Equal(1f, rows.Scales[0]);
        Assert.Equal(0, rows.ZeroPoints[0]);
        var y = new float[] { -3, 0, 2, 0, 5, 0, 0, -1, 0, 4, 0, 0, 0, 1, 0, 0, 7, 0, -2 };
        rows = QuantizeRows(QuantizedGemm.BestWidth, y, y.Length, 1, y.Length);
        for (int p = 0; p < y.Length; p++)
            if (y[p] == 0) Assert.Equal(rows.ZeroPoints[0], rows.At(0, p));
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void The_largest_products_do_not_saturate(SimdWidth width, bool vnni)
    {
        // Activations at the top of their range (127) against weights of full magnitude: vpmaddubsw's 16-bit pair
        // sums reach 2 * 127 * 127 = 32,258, just inside its range, so the result is exact.
        const int m = 6, n = 32, k = 64;
        var a = new float[m * k];
        for (int i = 0; i < a.Length; i++) a[i] = i % k == 0 ? 0f : 1f;   // one zero per row: range [0, 1], zero point 0, Q = 127
        var w = new float[n * k];
        for (int j = 0; j < n; j++) for (int p = 0; p < k; p++) w[j * k + p] = j % 2 == 0 ? 1f : -1f;
        var q = QuantizedMatrix.Quantize(width, w, k, n, k);
        var rows = QuantizeRows(width, a, k, m, k);
        Assert.All(Enumerable.Range(1, k - 1), p => Assert.Equal(127, rows.At(0, p)));
        var c = new float[m * n];
        QuantizedGemm.Multiply(width, c, n, rows, q, vnni: vnni);
        for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++)
                Assert.Equal(j % 2 == 0 ? k - 1 : -(k - 1), c[r * n + j], 4);
    }

    [Fact]
    public void Weight_quantisation_is_per_channel_and_symmetric()
    {
        const int n = 40, k = 23;
        var w = KernelAssert.Random(n * k, 9);
        for (int p = 0; p < k; p++) w[5 * k + p] = 0;           // an all-zero channel
        for (int p = 0; p < k; p++) w[7 * k + p] *= 1000;       // a channel a thousand times larger: its own scale
        var q = QuantizedMatrix.Quantize(w, k, n, k);
        for (int j = 0; j < n; j++)
        {
            float max = Enumerable.Range(0, k).Max(p => Math.Abs(w[j * k + p]));
            Assert.Equal(max > 0 ? max / 127f : 1f, q.Scales[j]);
            int sum = 0;
            for (int p = 0; p < k; p++)
            {
                sbyte v = q.At(j, p);
                sum += v;
                Assert.InRange(v, -127, 127);
                Assert.InRange(v * q.Scales[j] - w[j * k + p], -0.5001f * q.Scales[j], 0.5001f * q.Scales[j]);
            }
            Assert.Equal(sum, q.ColumnSums[j]);
        }
    }

    [Fact]
    public void The_result_is_within_the_quantisation_error_of_the_fp32_product()
    {
        // |x w - deq(q(x)) deq(q(w))| <= sum_p (|x_p| dw_j / 2 + |w_jp| dx / 2 + dx dw_j / 4) per entry.
        const int m = 50, n = 60, k = 384;
        var a = KernelAssert.Random(m * k, 11, scale: 2f);
        var w = KernelAssert.Random(n * k, 12, scale: 0.05f);
        var exact = new float[m * n];
        var quantised = new float[m * n];
        GemmReference.Multiply(exact, n, a, k, false, w, k, true, m, n, k);
        var q = QuantizedMatrix.Quantize(w, k, n, k);
        QuantizedGemm.Multiply(quantised, n, a, k, q, m);
        for (int r = 0; r < m; r++)
        {
            float min = Math.Min(0, a.Skip(r * k).Take(k).Min()), max = Math.Max(0, a.Skip(r * k).Take(k).Max());
            double dx = (max - min) / 127.0;
            for (int j = 0; j < n; j++)
            {
                double dw = q.Scales[j], bound = 0;
                for (int p = 0; p < k; p++) bound += Math.Abs(a[r * k + p]) * dw / 2 + Math.Abs(w[j * k + p]) * dx / 2 + dx * dw / 4;
                Assert.True(Math.Abs(exact[r * n + j] - quantised[r * n + j]) <= bound + 1e-5,
                    $"({r}, {j}): fp32 {exact[r * n + j]}, int8 {quantised[r * n + j]}, bound {bound}");
            }
        }
    }
}
