namespace DpBert.Tensors;

/// <summary>
/// A Linear weight <c>W [n, k]</c> rounded to bfloat16 for <see cref="BFloat16Gemm"/>, half the bytes of the fp32
/// packing. Slivers of <see cref="SliverWidth"/> output channels; in each, a 32-bit lane holds one channel's weights at
/// k = 2p (low half) and 2p + 1 (high half), the pair layout of AVX512-BF16's <c>vdpbf16ps</c>, so a shift and a mask
/// turn a loaded vector into the two float vectors of consecutive k. k is padded with zeros to an even length.
/// </summary>
internal sealed unsafe class BFloat16Matrix
{
    private readonly AlignedArray<ushort> _storage;

    /// <summary>The reduction length k.</summary>
    public int K { get; }
    /// <summary>k rounded up to an even number.</summary>
    public int PaddedK => (K + 1) & ~1;
    /// <summary>Output channels n.</summary>
    public int N { get; }
    /// <summary>Channels per sliver.</summary>
    public int SliverWidth { get; }
    /// <summary>Number of slivers.</summary>
    public int SliverCount => (N + SliverWidth - 1) / SliverWidth;

    private BFloat16Matrix(int k, int n, int sliverWidth)
    {
        K = k; N = n; SliverWidth = sliverWidth;
        long length = (long)SliverCount * sliverWidth * PaddedK + 32;
        _storage = new AlignedArray<ushort>(length);
    }

    /// <summary>Start of the packed data (pinned, 64-byte aligned).</summary>
    public ushort* Pointer => _storage.Pointer;

    /// <summary>Rounds and packs a weight stored <c>[n, k]</c> for this processor's kernels.</summary>
    public static BFloat16Matrix Pack(ReadOnlySpan<float> weight, int ldw, int n, int k) => Pack(Simd.Best, weight, ldw, n, k);

    /// <summary>The same for the kernels of <paramref name="width"/>.</summary>
    internal static BFloat16Matrix Pack(SimdWidth width, ReadOnlySpan<float> weight, int ldw, int n, int k)
    {
        Gemm.CheckOperand(weight, ldw, trans: true, k, n, "weight");
        var m = new BFloat16Matrix(k, n, Gemm.SliverWidthFor(width));
        m.Repack(weight, ldw);
        return m;
    }

    /// <summary>Rounds new values of the same shape into this matrix.</summary>
    public void Repack(ReadOnlySpan<float> weight, int ldw)
    {
        Gemm.CheckOperand(weight, ldw, trans: true, K, N, "weight");
        int kp = PaddedK, width = SliverWidth;
        ushort* packed = Pointer;
        new Span<ushort>(packed, SliverCount * width * kp).Clear();
        for (int j = 0; j < N; j++)
        {
            var row = weight.Slice(j * ldw, K);
            ushort* lane = packed + (long)(j / width) * width * kp + (j % width) * 2;
            for (int p = 0; p < K; p++) lane[(p >> 1) * width * 2 + (p & 1)] = BFloat16.Round(row[p]);
        }
    }

    /// <summary>The stored bf16 weight <c>W[j, p]</c> as a float.</summary>
    public float At(int j, int p) =>
        BFloat16.ToSingle(Pointer[(long)(j / SliverWidth) * SliverWidth * PaddedK + (p >> 1) * SliverWidth * 2 + (j % SliverWidth) * 2 + (p & 1)]);
}
