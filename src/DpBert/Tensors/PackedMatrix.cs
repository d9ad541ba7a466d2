namespace DpBert.Tensors;

/// <summary>
/// The right-hand operand of a GEMM, <c>op(B)</c> of shape <c>(k, n)</c>, rearranged once into column
/// slivers of <see cref="SliverWidth"/> columns (each <c>k x SliverWidth</c>, row-major, zero-padded) so
/// the micro-kernel streams it contiguously. Model weights are packed once after loading and reused
/// by every forward pass. The buffer is pinned and 64-byte aligned.
/// </summary>
public sealed unsafe class PackedMatrix
{
    private readonly AlignedArray<float> _storage;

    /// <summary>Rows k of op(B) (the reduction dimension).</summary>
    public int K { get; }
    /// <summary>Columns n of op(B) (the output width).</summary>
    public int N { get; }
    /// <summary>Columns per sliver (the micro-kernel's width).</summary>
    public int SliverWidth { get; }
    /// <summary>Number of slivers, <c>ceil(N / SliverWidth)</c>.</summary>
    public int SliverCount => (N + SliverWidth - 1) / SliverWidth;

    internal PackedMatrix(int k, int n, int sliverWidth)
    {
        K = k; N = n; SliverWidth = sliverWidth;
        long length = (long)SliverCount * sliverWidth * k + 16;
        _storage = new AlignedArray<float>(length);
    }

    /// <summary>Start of the packed data (pinned for the lifetime of this object).</summary>
    internal float* Pointer => _storage.Pointer;

    /// <summary>Packs <c>op(B)</c> for the fastest GEMM path on this processor.</summary>
    /// <param name="b">The matrix as stored.</param>
    /// <param name="ldb">Row stride of <paramref name="b"/> as stored.</param>
    /// <param name="transB">When true, <paramref name="b"/> is stored <c>(n, k)</c> (a Linear weight <c>[out, in]</c>).</param>
    /// <param name="k">Rows of op(B).</param>
    /// <param name="n">Columns of op(B).</param>
    public static PackedMatrix Pack(ReadOnlySpan<float> b, int ldb, bool transB, int k, int n)
    {
        Gemm.CheckOperand(b, ldb, transB, k, n, "b");
        var packed = new PackedMatrix(k, n, Gemm.SliverWidthFor(Simd.Best));
        packed.Repack(b, ldb, transB);
        return packed;
    }

    /// <summary>Packs a Linear weight stored <c>[out, in]</c> so that <c>y = x W^T</c>.</summary>
    public static PackedMatrix PackLinearWeight(ReadOnlySpan<float> weight, int outFeatures, int inFeatures) =>
        Pack(weight, inFeatures, transB: true, inFeatures, outFeatures);

    /// <summary>Refreshes the packed copy from new values of the same shape (after an optimizer step).</summary>
    public void Repack(ReadOnlySpan<float> b, int ldb, bool transB)
    {
        Gemm.CheckOperand(b, ldb, transB, K, N, "b");
        fixed (float* pb = b)
        {
            for (int s = 0; s < SliverCount; s++)
            {
                GemmPacking.PackSliver(Pointer + (long)s * SliverWidth * K, pb, ldb, transB, K, s * SliverWidth,
                    Math.Min(SliverWidth, N - s * SliverWidth), SliverWidth);
            }
        }
    }
}
