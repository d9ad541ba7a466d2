namespace DpBert.Tensors;

/// <summary>
/// Inverted dropout with a reproducible mask: element i of a call seeded with <c>seed</c> is kept when
/// a SplitMix64 hash of <c>(seed, i)</c> falls above <c>p</c>; kept values are scaled by <c>1/(1-p)</c>.
/// The mask depends only on the seed and the index, never on threads or timing.
/// </summary>
public static class Dropout
{
    /// <summary>Applies dropout in place and records the mask (1 kept, 0 dropped). With p = 0 the mask is all ones.</summary>
    public static void Forward(Span<float> x, Span<byte> mask, float p, ulong seed)
    {
        if (p < 0 || p >= 1) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability {p} must be in [0, 1)");
        if (p == 0) { mask[..x.Length].Fill(1); return; }
        float scale = 1f / (1f - p);
        ulong threshold = (ulong)(p * (double)(1UL << 53));
        for (int i = 0; i < x.Length; i++)
        {
            bool keep = (Hash(seed, (ulong)i) >> 11) >= threshold;
            mask[i] = keep ? (byte)1 : (byte)0;
            x[i] = keep ? x[i] * scale : 0f;
        }
    }

    /// <summary><c>dx = dy * mask / (1 - p)</c>, in place on the gradient.</summary>
    public static void Backward(Span<float> dy, ReadOnlySpan<byte> mask, float p)
    {
        if (p == 0) return;
        float scale = 1f / (1f - p);
        for (int i = 0; i < dy.Length; i++) dy[i] = mask[i] != 0 ? dy[i] * scale : 0f;
    }

    /// <summary>SplitMix64 of seed and index: a stateless, well-mixed 64-bit hash.</summary>
    internal static ulong Hash(ulong seed, ulong index)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (index + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
