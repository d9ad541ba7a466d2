using DpBert.Tensors;

namespace DpBert.Tests.Tensors;

/// <summary>Every vector kernel at every supported width against its scalar reference, lengths 0..256.</summary>
public class RowKernelTests
{
    public static TheoryData<SimdWidth> Widths => KernelAssert.Widths();

    [Theory]
    [MemberData(nameof(Widths))]
    public void Gelu_matches_erf_reference(SimdWidth width)
    {
        for (int n = 0; n <= 256; n++)
        {
            var x = KernelAssert.Random(n, n, scale: 6f);
            var expected = new float[n];
            var actual = new float[n];
            Gelu.ForwardReference(expected, x);
            Gelu.Forward(width, actual, x);
            KernelAssert.Close(expected, actual, 5e-7, 2e-6, $"gelu {width} n={n}");
        }
    }

    [Fact]
    public void Gelu_reference_has_known_values()
    {
        // gelu(x) = x * Phi(x); Phi(1) = 0.841344746068543, Phi(-2) = 0.0227501319481792.
        var y = new float[3];
        Gelu.ForwardReference(y, [1f, -2f, 0f]);
        Assert.Equal(0.841344746f, y[0], 6);
        Assert.Equal(-2 * 0.0227501319f, y[1], 6);
        Assert.Equal(0f, y[2]);
        Assert.Equal(0.9953222650189527, Erf.Reference(2.0), 14);
        Assert.Equal(0.5204998778130465, Erf.Reference(0.5), 14);
        Assert.Equal(-0.9999999845827421, Erf.Reference(-4.0), 14);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Tanh_matches_reference(SimdWidth width)
    {
        for (int n = 0; n <= 256; n++)
        {
            var x = KernelAssert.Random(n, 1000 + n, scale: n % 3 == 0 ? 0.1f : 8f);
            var expected = new float[n];
            var actual = new float[n];
            Tanh.ForwardReference(expected, x);
            Tanh.Forward(width, actual, x);
            KernelAssert.Close(expected, actual, 3e-7, 1e-6, $"tanh {width} n={n}");
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Softmax_with_mask_matches_reference(SimdWidth width)
    {
        for (int n = 0; n <= 256; n++)
        {
            var x = KernelAssert.Random(n, 2000 + n, scale: 10f);
            var mask = new float[n];
            for (int i = 0; i < n; i++) mask[i] = i % 5 == 4 ? float.MinValue : 0f;
            var expected = (float[])x.Clone();
            var actual = (float[])x.Clone();
            Softmax.ForwardReference(expected, 0.125f, mask);
            Softmax.Forward(width, actual, 0.125f, mask);
            KernelAssert.Close(expected, actual, 1e-7, 1e-5, $"softmax {width} n={n}");
            for (int i = 4; i < n; i += 5) Assert.Equal(0f, actual[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Softmax_of_a_score_matrix_matches_reference_row_by_row(SimdWidth width)
    {
        // Row counts on both sides of the grouped rows (8), widths that are and are not whole 512-bit vectors.
        foreach (int n in new[] { 1, 16, 32, 48, 64, 100, 128 })
        {
            foreach (int rows in new[] { 1, 7, 8, 9, 16, 21 })
            {
                var x = KernelAssert.Random(rows * n, 7000 + rows * n, scale: 10f);
                // Rows far apart (offsets of 800 before the scale of 1/8): a row shifted by another row's maximum would
                // overflow or vanish, not merely round differently.
                for (int r = 0; r < rows; r++) for (int i = 0; i < n; i++) x[r * n + i] += 800f * (r % 3 - 1);
                var mask = new float[n];
                for (int i = 0; i < n; i++) mask[i] = i % 7 == 6 ? float.MinValue : 0f;
                var expected = (float[])x.Clone();
                for (int r = 0; r < rows; r++) Softmax.ForwardReference(expected.AsSpan(r * n, n), 0.125f, mask);
                var actual = (float[])x.Clone();
                Softmax.ForwardRows(width, actual, n, 0.125f, mask);
                KernelAssert.Close(expected, actual, 1e-7, 1e-5, $"softmax rows {width} n={n} rows={rows}");
                for (int r = 0; r < rows; r++)
                    for (int i = 6; i < n; i += 7) Assert.Equal(0f, actual[r * n + i]);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Softmax_of_a_score_matrix_is_uniform_where_every_key_is_masked_and_accepts_no_rows(SimdWidth width)
    {
        // Every key masked (a sequence of padding only): Hugging Face's softmax of equal scores, 1/n each.
        foreach (int n in new[] { 16, 20, 64 })
        {
            var x = KernelAssert.Random(9 * n, 8000 + n, scale: 10f);
            var mask = Enumerable.Repeat(float.MinValue, n).ToArray();
            Softmax.ForwardRows(width, x, n, 0.125f, mask);
            Assert.All(x, p => Assert.Equal(1f / n, p, 1e-7f));
        }
        Softmax.ForwardRows(width, Span<float>.Empty, 64, 0.125f, default);
    }

    [Fact]
    public void Softmax_of_a_score_matrix_rejects_partial_rows_a_mask_of_another_width_and_empty_rows()
    {
        var x = new float[10];
        Assert.Contains("whole rows of 4", Assert.Throws<ArgumentException>(() => Softmax.ForwardRows(x, 4, 1f, default)).Message);
        Assert.Contains("mask holds 3", Assert.Throws<ArgumentException>(() => Softmax.ForwardRows(x, 5, 1f, new float[3])).Message);
        Assert.Equal("n", Assert.Throws<ArgumentOutOfRangeException>(() => Softmax.ForwardRows(x, 0, 1f, default)).ParamName);
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void LayerNorm_matches_reference(SimdWidth width)
    {
        for (int c = 1; c <= 256; c++)
        {
            const int rows = 3;
            var x = KernelAssert.Random(rows * c, 3000 + c, scale: 3f);
            for (int i = 0; i < x.Length; i++) x[i] += 5f; // a large mean tests the two-pass variance
            var weight = KernelAssert.Random(c, 4000 + c);
            var bias = KernelAssert.Random(c, 5000 + c);
            var expected = new float[rows * c];
            var actual = new float[rows * c];
            var mean = new float[rows];
            var rstd = new float[rows];
            LayerNorm.ForwardReference(expected, x, weight, bias, rows, c, 1e-12f);
            LayerNorm.Forward(width, actual, mean, rstd, x, weight, bias, rows, c, 1e-12f);
            // c = 1 has zero variance: output is the bias exactly, rstd is 1/sqrt(eps).
            KernelAssert.Close(expected, actual, 2e-5, 2e-5, $"layernorm {width} c={c}");
        }
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Elementwise_matches_reference(SimdWidth width)
    {
        for (int n = 0; n <= 256; n++)
        {
            var y = KernelAssert.Random(n, 6000 + n);
            var x = KernelAssert.Random(n, 7000 + n);
            var expected = (float[])y.Clone();
            var actual = (float[])y.Clone();
            Elementwise.AddInPlaceReference(expected, x);
            Elementwise.AddInPlace(width, actual, x);
            Assert.Equal(expected, actual);
            Elementwise.ScaleReference(expected, 0.37f);
            Elementwise.Scale(width, actual, 0.37f);
            Assert.Equal(expected, actual);
        }
    }

    [Theory]
    [InlineData(3, 384)]     // 1,152 floats: one task
    [InlineData(47, 384)]    // 18,048: split across the pool
    [InlineData(129, 384)]   // rows not a multiple of the tasks
    [InlineData(200, 768)]
    [InlineData(128, 1536)]
    public void Row_kernels_split_over_threads_match_serial_results(int rows, int c)
    {
        var x = KernelAssert.Random(rows * c, 9 + rows, 4f);
        var p = KernelAssert.Random(2 * c, 10);
        var serial = (float[])x.Clone();
        var parallel = (float[])x.Clone();
        LayerNorm.Forward(serial, default, default, serial, p.AsSpan(0, c), p.AsSpan(c, c), rows, c, 1e-12f);
        RowKernels.LayerNorm(parallel, p, 0, c, rows, c, 1e-12f);
        Assert.Equal(serial, parallel);

        serial = (float[])x.Clone();
        parallel = (float[])x.Clone();
        Gelu.Forward(serial, serial);
        RowKernels.Gelu(parallel, c, rows, c);
        Assert.Equal(serial, parallel);
    }
}

public class VectorExpTests
{
    [Fact]
    public void Exp_matches_double_precision_across_the_float_range()
    {
        var rng = new Random(11);
        for (int trial = 0; trial < 20000; trial++)
        {
            float x = trial < 10000 ? (float)(rng.NextDouble() * 176 - 87.3) : (float)(rng.NextDouble() * 20 - 10);
            double expected = Math.Exp(x);
            float v512 = VectorExp.Exp(System.Runtime.Intrinsics.Vector512.Create(x))[3];
            float v256 = VectorExp.Exp(System.Runtime.Intrinsics.Vector256.Create(x))[5];
            float v128 = VectorExp.Exp(System.Runtime.Intrinsics.Vector128.Create(x))[1];
            foreach (float actual in new[] { v512, v256, v128 })
                Assert.True(Math.Abs(actual - expected) <= 4e-7 * expected, $"exp({x:R}) = {actual:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void Moderate_exp_matches_double_precision_on_its_range_and_is_exactly_zero_at_its_floor()
    {
        var rng = new Random(12);
        for (int trial = 0; trial < 20000; trial++)
        {
            float x = trial < 10000 ? (float)(rng.NextDouble() * -80) : (float)(rng.NextDouble() * -16);
            double expected = Math.Exp(x);
            float v512 = VectorExp.ExpModerate(System.Runtime.Intrinsics.Vector512.Create(x))[7];
            float v256 = VectorExp.ExpModerate(System.Runtime.Intrinsics.Vector256.Create(x))[2];
            foreach (float actual in new[] { v512, v256 })
                Assert.True(Math.Abs(actual - expected) <= 4e-7 * expected, $"exp({x:R}) = {actual:R}, expected {expected:R}");
        }
        Assert.Equal(1f, VectorExp.ExpModerate(System.Runtime.Intrinsics.Vector512.Create(0f))[0]);
        Assert.Equal(0f, VectorExp.ExpModerate(System.Runtime.Intrinsics.Vector512.Create(VectorExp.ModerateFloor))[0]);
        Assert.Equal(0f, VectorExp.ExpModerate(System.Runtime.Intrinsics.Vector256.Create(-87.7f))[0]);
    }

    [Fact]
    public void Exp_underflows_to_exact_zero_and_overflows_to_infinity()
    {
        Assert.Equal(0f, VectorExp.Exp(System.Runtime.Intrinsics.Vector512.Create(float.MinValue))[0]);
        Assert.Equal(0f, VectorExp.Exp(System.Runtime.Intrinsics.Vector256.Create(-100f))[0]);
        Assert.Equal(float.PositiveInfinity, VectorExp.Exp(System.Runtime.Intrinsics.Vector128.Create(100f))[0]);
        Assert.Equal(1f, VectorExp.Exp(System.Runtime.Intrinsics.Vector512.Create(0f))[0]);
    }
}
