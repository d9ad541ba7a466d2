namespace DpBert.Tensors;

/// <summary>
/// A Linear weight <c>W [n, k]</c> quantised for <see cref="QuantizedGemm"/>: int8 per output channel,
/// <c>W[j, p] ~ Scale[j] * Q[j, p]</c> with <c>Q</c> in [-127, 127] (symmetric, no zero point), packed into slivers of
/// <see cref="SliverWidth"/> output channels in which each 32-bit lane holds four consecutive k of one channel, the
/// layout <c>vpmaddubsw</c> (and VNNI's <c>vpdpbusd</c>) multiplies by four activations at once. k is padded with zeros
/// to a multiple of four. <see cref="ColumnSums"/> (the sum of each channel's <c>Q</c>) removes the activations' zero
/// point after the integer product.
/// </summary>
internal sealed unsafe class QuantizedMatrix
{
    private readonly AlignedArray<sbyte> _storage;

    /// <summary>The reduction length k (input features).</summary>
    public int K { get; }
    /// <summary>k rounded up to a multiple of four.</summary>
    public int PaddedK => (K + 3) & ~3;
    /// <summary>Output channels n.</summary>
    public int N { get; }
    /// <summary>Output channels per sliver.</summary>
    public int SliverWidth { get; }
    /// <summary>Number of slivers.</summary>
    public int SliverCount => (N + SliverWidth - 1) / SliverWidth;
    /// <summary>Per-channel scale (n).</summary>
    public float[] Scales { get; }
    /// <summary>Per-channel sum of the quantised weights over k (n).</summary>
    public int[] ColumnSums { get; }

    private QuantizedMatrix(int k, int n, int sliverWidth)
    {
        K = k; N = n; SliverWidth = sliverWidth;
        long length = (long)SliverCount * sliverWidth * PaddedK + 64;
        _storage = new AlignedArray<sbyte>(length);
        Scales = new float[SliverCount * sliverWidth];
        ColumnSums = new int[SliverCount * sliverWidth];
    }

    /// <summary>Start of the packed data (pinned, 64-byte aligned).</summary>
    public sbyte* Pointer => _storage.Pointer;

    /// <summary>Quantises and packs a weight stored <c>[n, k]</c> (row stride <paramref name="ldw"/>) for this processor's int8 kernels.</summary>
    public static QuantizedMatrix Quantize(ReadOnlySpan<float> weight, int ldw, int n, int k) =>
        Quantize(QuantizedGemm.BestWidth, weight, ldw, n, k);

    /// <summary>The same, packed for the kernels of <paramref name="width"/> (tests compare the widths).</summary>
    internal static QuantizedMatrix Quantize(SimdWidth width, ReadOnlySpan<float> weight, int ldw, int n, int k)
    {
        Gemm.CheckOperand(weight, ldw, trans: true, k, n, "weight");
        var q = new QuantizedMatrix(k, n, QuantizedGemm.SliverWidthFor(width));
        q.Requantize(weight, ldw);
        return q;
    }

    /// <summary>Quantises new values of the same shape into this matrix (after the weights changed).</summary>
    public void Requantize(ReadOnlySpan<float> weight, int ldw)
    {
        Gemm.CheckOperand(weight, ldw, trans: true, K, N, "weight");
        int kp = PaddedK, width = SliverWidth;
        var row = new sbyte[kp];
        sbyte* packed = Pointer;
        new Span<sbyte>(packed, SliverCount * width * kp).Clear();
        for (int j = 0; j < N; j++)
        {
            float scale = QuantizeChannel(weight.Slice(j * ldw, K), row);
            Scales[j] = scale;
            int sum = 0;
            for (int p = 0; p < K; p++) sum += row[p];
            ColumnSums[j] = sum;
            // Channel j sits in sliver j / width, lane j % width; four k per lane, lanes side by side per k quad.
            sbyte* sliver = packed + (long)(j / width) * width * kp + (j % width) * 4;
            for (int p = 0; p < kp; p++) sliver[(p >> 2) * width * 4 + (p & 3)] = row[p];
        }
    }

    /// <summary>
    /// Symmetric quantisation of one output channel: <c>q = clamp(rint(w / s), -127, 127)</c> with
    /// <c>s = max|w| / 127</c> (1 for an all-zero channel); returns s. Positions past k stay 0.
    /// </summary>
    internal static float QuantizeChannel(ReadOnlySpan<float> w, Span<sbyte> q)
    {
        float max = 0;
        foreach (float v in w) max = Math.Max(max, Math.Abs(v));
        float scale = max > 0 ? max / 127f : 1f;
        float inverse = 1f / scale;
        q.Clear();
        for (int p = 0; p < w.Length; p++) q[p] = (sbyte)Math.Clamp(MathF.Round(w[p] * inverse, MidpointRounding.ToEven), -127f, 127f);
        return scale;
    }

    /// <summary>The quantised weight <c>Q[j, p]</c> as stored (for tests and the reference).</summary>
    public sbyte At(int j, int p) =>
        Pointer[(long)(j / SliverWidth) * SliverWidth * PaddedK + (p >> 2) * SliverWidth * 4 + (j % SliverWidth) * 4 + (p & 3)];
}
