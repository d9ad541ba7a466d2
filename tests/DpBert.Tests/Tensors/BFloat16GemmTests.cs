using DpBert.Tensors;
using DpBert.Tensors.MachineCode;

namespace DpBert.Tests.Tensors;

public class BFloat16GemmTests
{
    public static TheoryData<SimdWidth> Widths => KernelAssert.Widths();

    /// <summary>Every width's kernel, plus the <c>vdpbf16ps</c> tile (machine code written at run time) where the processor has AVX512-BF16.</summary>
    public static TheoryData<SimdWidth, bool> Kernels()
    {
        var data = new TheoryData<SimdWidth, bool>();
        foreach (var width in KernelAssert.Widths()) data.Add(width, false);
        if (DotProductTileKernel.BFloat16.IsAvailable) data.Add(SimdWidth.V512, true);
        return data;
    }

    /// <summary>The bf16 nearest to x by exhaustive comparison of the two candidates around it, ties to the even one.</summary>
    private static float NearestBFloat16(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        float down = BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000u);
        float up = BitConverter.UInt32BitsToSingle((bits & 0xFFFF0000u) + 0x10000u);
        double dd = Math.Abs((double)x - down), du = Math.Abs((double)up - x);
        if (dd < du) return down;
        if (du < dd) return up;
        return ((bits >> 16) & 1) == 0 ? down : up;
    }

    [Fact]
    public void Rounding_is_to_nearest_with_ties_to_even_and_keeps_specials()
    {
        var rng = new Random(3);
        for (int i = 0; i < 100000; i++)
        {
            float x = BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32));
            if (float.IsNaN(x) || float.IsInfinity(x) || Math.Abs(x) > 3e38f) continue;
            Assert.Equal(NearestBFloat16(x), BFloat16.RoundToSingle(x));
        }
        Assert.Equal(1f, BFloat16.RoundToSingle(BitConverter.UInt32BitsToSingle(0x3F808000)));          // tie, 1.0 is even
        Assert.Equal(BitConverter.UInt32BitsToSingle(0x3F820000), BFloat16.RoundToSingle(BitConverter.UInt32BitsToSingle(0x3F818000)));  // tie, up to even
        Assert.True(float.IsNaN(BFloat16.RoundToSingle(float.NaN)));
        Assert.Equal(float.PositiveInfinity, BFloat16.RoundToSingle(float.PositiveInfinity));
        Assert.Equal(float.PositiveInfinity, BFloat16.RoundToSingle(float.MaxValue));                   // rounds past the largest bf16
        Assert.Equal(-0f, BFloat16.RoundToSingle(-0f));
        Assert.Equal(BitConverter.UInt32BitsToSingle(0x00010000), BFloat16.RoundToSingle(BitConverter.UInt32BitsToSingle(0x00010001)));  // subnormal
    }

    [Fact]
    public void Vector_rounding_matches_scalar_rounding()
    {
        var rng = new Random(4);
        var x = new float[4096];
        for (int i = 0; i < x.Length; i++) x[i] = BitConverter.UInt32BitsToSingle((uint)rng.NextInt64(0, 1L << 32));
        x[0] = float.NaN; x[1] = float.NegativeInfinity; x[2] = float.MaxValue; x[3] = -0f;
        for (int i = 0; i < x.Length; i += 16)
        {
            var v512 = BFloat16.RoundToSingle(System.Runtime.Intrinsics.Vector512.Create(x.AsSpan(i, 16)));
            var v256 = BFloat16.RoundToSingle(System.Runtime.Intrinsics.Vector256.Create(x.AsSpan(i, 8)));
            for (int j = 0; j < 16; j++)
                Assert.Equal(BitConverter.SingleToUInt32Bits(BFloat16.RoundToSingle(x[i + j])), BitConverter.SingleToUInt32Bits(v512[j]));
            for (int j = 0; j < 8; j++)
                Assert.Equal(BitConverter.SingleToUInt32Bits(BFloat16.RoundToSingle(x[i + j])), BitConverter.SingleToUInt32Bits(v256[j]));
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Kernels_match_the_bf16_arithmetic_in_double_for_a_sweep_of_shapes(SimdWidth width, bool dot)
    {
        int seed = 0;
        foreach (int m in new[] { 1, 5, 6, 7, 13 })
        foreach (int n in new[] { 1, 15, 16, 17, 32, 33, 70 })
        foreach (int k in new[] { 1, 2, 3, 37, 64, 300 })
        {
            seed++;
            bool accumulate = seed % 3 == 0, gelu = seed % 3 == 1;
            int lda = k + 1, ldc = n + 3;
            var a = KernelAssert.Random(m * lda, seed, scale: 3f);
            var w = KernelAssert.Random(n * k, seed + 1000, scale: 0.2f);
            var bias = seed % 2 == 0 ? KernelAssert.Random(n, seed + 2000) : [];
            var packed = BFloat16Matrix.Pack(width, w, k, n, k);
            var c0 = KernelAssert.Random(m * ldc, seed + 3000);
            var expected = (double[])Array.ConvertAll(c0, v => (double)v);
            var magnitude = new double[m * ldc];
            for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double product = (double)BFloat16.RoundToSingle(a[r * lda + p]) * packed.At(j, p);
                    Assert.Equal(BFloat16.RoundToSingle(w[j * k + p]), packed.At(j, p));
                    sum += product;
                    abs += Math.Abs(product);
                }
                if (bias.Length > 0) sum += bias[j];
                if (gelu) sum = 0.5 * sum * (1 + Erf.Reference(sum / Math.Sqrt(2)));
                expected[r * ldc + j] = accumulate ? expected[r * ldc + j] + sum : sum;
                magnitude[r * ldc + j] = abs;
            }
            var actual = (float[])c0.Clone();
            BFloat16Gemm.Multiply(width, actual, ldc, a, lda, packed, m, accumulate, bias, gelu, dot);
            for (int r = 0; r < m; r++)
            for (int j = 0; j < n; j++)
            {
                // fp32 accumulation of exact products: at most k roundings of 2^-24 of the running magnitude.
                double allowed = 1e-6 + (k + 2) * Math.Pow(2, -24) * (magnitude[r * ldc + j] + Math.Abs(expected[r * ldc + j]));
                double error = Math.Abs(actual[r * ldc + j] - expected[r * ldc + j]);
                Assert.True(error <= allowed, $"{width} dot={dot} m={m} n={n} k={k} ({r}, {j}): {actual[r * ldc + j]} vs {expected[r * ldc + j]} (allowed {allowed:G3})");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void A_product_large_enough_to_split_over_the_pool_matches_the_bf16_arithmetic_in_double(SimdWidth width, bool dot)
    {
        const int m = 131, n = 200, k = 97;   // above the parallel threshold, with partial tiles and slivers
        var a = KernelAssert.Random(m * k, 31, scale: 2f);
        var w = KernelAssert.Random(n * k, 32, scale: 0.1f);
        var bias = KernelAssert.Random(n, 33);
        var packed = BFloat16Matrix.Pack(width, w, k, n, k);
        var actual = new float[m * n];
        BFloat16Gemm.Multiply(width, actual, n, a, k, packed, m, bias: bias, dot: dot);
        for (int r = 0; r < m; r++)
        for (int j = 0; j < n; j++)
        {
            double sum = bias[j], abs = 0;
            for (int p = 0; p < k; p++)
            {
                double product = (double)BFloat16.RoundToSingle(a[r * k + p]) * BFloat16.RoundToSingle(w[j * k + p]);
                sum += product;
                abs += Math.Abs(product);
            }
            double allowed = 1e-6 + (k + 2) * Math.Pow(2, -24) * (abs + Math.Abs(sum));
            Assert.True(Math.Abs(actual[r * n + j] - sum) <= allowed, $"{width} dot={dot} ({r}, {j}): {actual[r * n + j]} vs {sum}");
        }
    }

    [Fact]
    public void The_result_is_within_bf16_rounding_of_the_fp32_product()
    {
        // Each operand is within 2^-9 (relative) of its fp32 value, so each product within about 2^-8.
        const int m = 40, n = 50, k = 384;
        var a = KernelAssert.Random(m * k, 21, scale: 2f);
        var w = KernelAssert.Random(n * k, 22, scale: 0.05f);
        var exact = new float[m * n];
        var actual = new float[m * n];
        GemmReference.Multiply(exact, n, a, k, false, w, k, true, m, n, k);
        BFloat16Gemm.Multiply(actual, n, a, k, BFloat16Matrix.Pack(w, k, n, k), m);
        for (int r = 0; r < m; r++)
        for (int j = 0; j < n; j++)
        {
            double bound = 1e-5;
            for (int p = 0; p < k; p++) bound += Math.Abs(a[r * k + p] * w[j * k + p]) * (Math.Pow(2, -8) + Math.Pow(2, -17));
            Assert.True(Math.Abs(exact[r * n + j] - actual[r * n + j]) <= bound, $"({r}, {j}): fp32 {exact[r * n + j]}, bf16 {actual[r * n + j]}, bound {bound}");
        }
    }
}
