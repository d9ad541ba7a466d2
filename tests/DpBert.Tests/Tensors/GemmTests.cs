using DpBert.Tensors;

namespace DpBert.Tests.Tensors;

[Collection(GemmBackendScope.Collection)]
public class GemmTests
{
    public static TheoryData<SimdWidth> Widths => KernelAssert.Widths();

    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (1, 37, 5), (5, 1, 37), (6, 32, 64), (7, 33, 65), (13, 37, 11), (12, 64, 37),
        (128, 37, 64), (3, 200, 17), (64, 96, 128), (31, 129, 3), (2, 2, 300),
    ];

    [Theory]
    [MemberData(nameof(Widths))]
    public void Managed_matches_reference_for_every_transpose_and_odd_shapes(SimdWidth width)
    {
        int seed = 0;
        foreach (var (m, n, k) in Shapes)
        {
            foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
            foreach (bool accumulate in new[] { false, true })
            {
                seed++;
                // Strided operands: leading dimensions larger than the stored width.
                int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 5;
                var a = KernelAssert.Random((transA ? k : m) * lda, seed);
                var b = KernelAssert.Random((transB ? n : k) * ldb, seed + 1000);
                var bias = seed % 2 == 0 ? KernelAssert.Random(n, seed + 2000) : [];
                var c0 = KernelAssert.Random(m * ldc, seed + 3000);
                var expected = (float[])c0.Clone();
                var actual = (float[])c0.Clone();
                GemmReference.Multiply(expected, ldc, a, lda, transA, b, ldb, transB, m, n, k, accumulate, bias);
                Gemm.MultiplyManaged(width, actual, ldc, a, lda, transA, b, ldb, transB, m, n, k, accumulate, bias);
                KernelAssert.Close(expected, actual, 1e-5 * Math.Sqrt(k), 1e-5,
                    $"{width} m={m} n={n} k={k} transA={transA} transB={transB} accumulate={accumulate} bias={bias.Length > 0}");
            }
        }
    }

    [Fact]
    public void Packed_and_unpacked_A_give_the_reference_for_both_layouts()
    {
        try
        {
            foreach (bool pack in new[] { false, true })
            foreach (bool transA in new[] { false, true })
            {
                Gemm.GemmJob.ForcePackA = pack;
                const int m = 47, n = 70, k = 300;
                int lda = transA ? m + 1 : k + 1;
                var a = KernelAssert.Random((transA ? k : m) * lda, 21);
                var b = KernelAssert.Random(n * k, 22);
                var expected = new float[m * n];
                var actual = new float[m * n];
                GemmReference.Multiply(expected, n, a, lda, transA, b, k, true, m, n, k);
                Gemm.MultiplyManaged(Simd.Best, actual, n, a, lda, transA, b, k, true, m, n, k);
                KernelAssert.Close(expected, actual, 1e-4, 1e-5, $"packA={pack} transA={transA}");
            }
        }
        finally { Gemm.GemmJob.ForcePackA = null; }
    }

    [Fact]
    public void Large_products_split_across_threads_match_reference()
    {
        // Large enough to take the parallel path (2*m*n*k well above the threshold), odd edges included.
        const int m = 131, n = 333, k = 257;
        var a = KernelAssert.Random(m * k, 1);
        var w = KernelAssert.Random(n * k, 2);
        var bias = KernelAssert.Random(n, 3);
        var expected = new float[m * n];
        var actual = new float[m * n];
        var packedOut = new float[m * n];
        GemmReference.Multiply(expected, n, a, k, false, w, k, true, m, n, k, bias: bias);
        Gemm.MultiplyManaged(Simd.Best, actual, n, a, k, false, w, k, true, m, n, k, bias: bias);
        KernelAssert.Close(expected, actual, 1e-4, 1e-5, "parallel unpacked");
        Gemm.MultiplyPacked(packedOut, n, a, k, PackedMatrix.PackLinearWeight(w, n, k), m, bias: bias);
        KernelAssert.Close(expected, packedOut, 1e-4, 1e-5, "parallel packed");
    }

    [Fact]
    public void Packed_weights_match_reference_and_follow_repacking()
    {
        const int m = 9, n = 70, k = 45;
        var a = KernelAssert.Random(m * k, 5);
        var w = KernelAssert.Random(n * k, 6);
        var packed = PackedMatrix.PackLinearWeight(w, n, k);
        var expected = new float[m * n];
        var actual = new float[m * n];
        GemmReference.Multiply(expected, n, a, k, false, w, k, true, m, n, k);
        Gemm.MultiplyPacked(actual, n, a, k, packed, m);
        KernelAssert.Close(expected, actual, 1e-5, 1e-5, "packed");

        for (int i = 0; i < w.Length; i++) w[i] = -2 * w[i];
        packed.Repack(w, k, transB: true);
        GemmReference.Multiply(expected, n, a, k, false, w, k, true, m, n, k);
        Gemm.MultiplyPacked(actual, n, a, k, packed, m);
        KernelAssert.Close(expected, actual, 1e-5, 1e-5, "repacked");
    }

    [Theory]
    [MemberData(nameof(Widths))]
    public void Packed_product_with_gelu_applies_exact_gelu_after_the_bias(SimdWidth width)
    {
        if (width != Simd.Best) return;   // packed weights exist for this processor's width only
        foreach (var (m, n, k) in Shapes)
        {
            var a = KernelAssert.Random(m * k, m + n, 2f);
            var w = KernelAssert.Random(n * k, m * n, 0.5f);
            var bias = KernelAssert.Random(n, k);
            var expected = new float[m * n];
            var actual = new float[m * n];
            GemmReference.Multiply(expected, n, a, k, false, w, k, true, m, n, k, bias: bias);
            Gelu.ForwardReference(expected, expected);
            Gemm.MultiplyPacked(actual, n, a, k, PackedMatrix.PackLinearWeight(w, n, k), m, accumulate: false, bias, gelu: true);
            KernelAssert.Close(expected, actual, 1e-5 * Math.Sqrt(k), 1e-5, $"gelu m={m} n={n} k={k}");
        }
    }

    [Fact]
    public void Packed_product_with_gelu_gives_a_row_the_same_bits_in_a_full_or_an_edge_tile()
    {
        // A token's activations must not depend on the batch it came in: row 6 sits in an edge tile of a 7-row product
        // and in a full tile of a 12-row one. Columns 40 leave an edge sliver as well.
        const int n = 40, k = 24;
        var a = KernelAssert.Random(12 * k, 1, 3f);
        var w = PackedMatrix.PackLinearWeight(KernelAssert.Random(n * k, 2, 0.5f), n, k);
        var bias = KernelAssert.Random(n, 3);
        var seven = new float[7 * n];
        var twelve = new float[12 * n];
        Gemm.MultiplyPacked(seven, n, a, k, w, 7, accumulate: false, bias, gelu: true);
        Gemm.MultiplyPacked(twelve, n, a, k, w, 12, accumulate: false, bias, gelu: true);
        Assert.Equal(twelve.AsSpan(0, 7 * n).ToArray(), seven);
    }

    [Fact]
    public void Packed_product_with_gelu_adds_gelu_of_the_product_when_accumulating()
    {
        foreach (var (m, n, k) in new[] { (7, 40, 24), (70, 104, 300) })
        {
            var a = KernelAssert.Random(m * k, m + 1, 2f);
            var w = KernelAssert.Random(n * k, n + 1, 0.5f);
            var bias = KernelAssert.Random(n, k + 1);
            var c0 = KernelAssert.Random(m * n, 9);
            var expected = new float[m * n];
            GemmReference.Multiply(expected, n, a, k, false, w, k, true, m, n, k, bias: bias);
            Gelu.ForwardReference(expected, expected);
            for (int i = 0; i < expected.Length; i++) expected[i] += c0[i];
            var actual = (float[])c0.Clone();
            Gemm.MultiplyPacked(actual, n, a, k, PackedMatrix.PackLinearWeight(w, n, k), m, accumulate: true, bias, gelu: true);
            KernelAssert.Close(expected, actual, 1e-5 * Math.Sqrt(k), 1e-5, $"C + gelu m={m} n={n} k={k}");
        }
    }

    [Fact]
    public void Empty_reduction_writes_bias_or_keeps_c()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Multiply(c, 2, [], 1, false, [], 2, false, 2, 2, 0, accumulate: true, bias: [10, 20]);
        Assert.Equal(new float[] { 11, 22, 13, 24 }, c);
        Gemm.Multiply(c, 2, [], 1, false, [], 2, false, 2, 2, 0);
        Assert.Equal(new float[4], c);
    }

    [Fact]
    public void Undersized_operands_are_rejected_with_their_name()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Gemm.Multiply(new float[4], 2, new float[3], 2, false, new float[4], 2, false, 2, 2, 2));
        Assert.Contains("a holds 3 floats", e.Message);
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.Multiply(new float[4], 1, new float[4], 2, false, new float[4], 2, false, 2, 2, 2));
        Assert.Contains("ldc 1 is smaller than n 2", e2.Message);
    }

    [SkippableOpenBlasFact]
    public void OpenBlas_backend_matches_reference() => GemmBackendScope.Run(GemmBackend.OpenBlas, OpenBlasMatchesReference);

    private static void OpenBlasMatchesReference()
    {
        int seed = 50;
        foreach (var (m, n, k) in Shapes)
        {
            foreach (bool transA in new[] { false, true })
            foreach (bool transB in new[] { false, true })
            {
                seed++;
                int lda = transA ? m : k, ldb = transB ? k : n;
                var a = KernelAssert.Random((transA ? k : m) * lda, seed);
                var b = KernelAssert.Random((transB ? n : k) * ldb, seed + 1);
                var bias = KernelAssert.Random(n, seed + 2);
                var c0 = KernelAssert.Random(m * n, seed + 3);
                var expected = (float[])c0.Clone();
                var actual = (float[])c0.Clone();
                GemmReference.Multiply(expected, n, a, lda, transA, b, ldb, transB, m, n, k, true, bias);
                Gemm.Multiply(actual, n, a, lda, transA, b, ldb, transB, m, n, k, true, bias);
                KernelAssert.Close(expected, actual, 1e-5 * Math.Sqrt(k), 1e-5, $"openblas m={m} n={n} k={k} transA={transA} transB={transB}");
            }
        }
    }
}

/// <summary>A fact that is skipped, with the reason, when libopenblas.so.0 cannot be loaded.</summary>
public sealed class SkippableOpenBlasFactAttribute : FactAttribute
{
    public SkippableOpenBlasFactAttribute()
    {
        if (!OpenBlas.IsAvailable) Skip = $"OpenBLAS not available: {OpenBlas.LoadError}";
    }
}

/// <summary>
/// Runs code with a chosen <see cref="Gemm.Backend"/>. Tests that switch the process-wide backend join
/// one collection that never runs in parallel with other tests.
/// </summary>
[CollectionDefinition(Collection, DisableParallelization = true)]
public sealed class GemmBackendScope
{
    public const string Collection = "Gemm backend";

    public static void Run(GemmBackend backend, Action action)
    {
        var saved = Gemm.Backend;
        try
        {
            Gemm.Backend = backend;
            action();
        }
        finally { Gemm.Backend = saved; }
    }
}
