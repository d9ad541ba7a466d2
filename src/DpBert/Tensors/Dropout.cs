using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DpBert.Tensors;

/// <summary>
/// Inverted dropout with a stateless mask: element i of a call seeded with <c>seed</c> is kept when a 32-bit
/// hash of <c>(seed, i)</c> falls at or above <c>p</c>; kept values are scaled by <c>1/(1-p)</c>. Nothing is
/// stored: the backward pass recomputes the same mask from the same seed. The mask depends only on the seed
/// and the index, never on threads, vector width or timing.
/// </summary>
public static class Dropout
{
    /// <summary>Applies dropout in place. With p = 0 nothing changes.</summary>
    public static void Forward(Span<float> x, float p, ulong seed) => Apply(x, p, seed);

    /// <summary>Backward of <see cref="Forward"/> with the same <paramref name="p"/> and <paramref name="seed"/>: <c>dy = dy * mask / (1 - p)</c>, in place.</summary>
    public static void Backward(Span<float> dy, float p, ulong seed) => Apply(dy, p, seed);

    /// <summary>Whether element <paramref name="index"/> is kept (the scalar definition the vector paths follow).</summary>
    public static bool Keeps(ulong seed, int index, float p) => Mix(Fold(seed), (uint)index) >> 8 >= Threshold(p);

    private static void Apply(Span<float> x, float p, ulong seed)
    {
        if (p < 0 || p >= 1) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability {p} must be in [0, 1)");
        if (p == 0) return;
        float scale = 1f / (1f - p);
        uint threshold = Threshold(p), s = Fold(seed);
        int i = 0;
        if (Simd.Best == SimdWidth.V512)
        {
            var vs = Vector512.Create(scale);
            var vt = Vector512.Create(threshold);
            for (; i <= x.Length - 16; i += 16)
            {
                var h = Mix(Vector512.Create(s), Vector512.Create((uint)i) + Vector512<uint>.Indices);
                var keep = Vector512.GreaterThanOrEqual(Vector512.ShiftRightLogical(h, 8), vt).AsSingle();
                Vector512.ConditionalSelect(keep, Vector512.Create(x.Slice(i, 16)) * vs, Vector512<float>.Zero).CopyTo(x.Slice(i, 16));
            }
        }
        else if (Simd.Best == SimdWidth.V256)
        {
            var vs = Vector256.Create(scale);
            var vt = Vector256.Create(threshold);
            for (; i <= x.Length - 8; i += 8)
            {
                var h = Mix(Vector256.Create(s), Vector256.Create((uint)i) + Vector256<uint>.Indices);
                var keep = Vector256.GreaterThanOrEqual(Vector256.ShiftRightLogical(h, 8), vt).AsSingle();
                Vector256.ConditionalSelect(keep, Vector256.Create(x.Slice(i, 8)) * vs, Vector256<float>.Zero).CopyTo(x.Slice(i, 8));
            }
        }
        for (; i < x.Length; i++) x[i] = Mix(s, (uint)i) >> 8 >= threshold ? x[i] * scale : 0f;
    }

    private static uint Threshold(float p) => (uint)Math.Round(p * (double)(1 << 24));

    private static uint Fold(ulong seed) => (uint)seed ^ (uint)(seed >> 32) ^ 0x5bd1e995u;

    // A 32-bit integer finaliser (xor-shift-multiply rounds) of index and seed.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Mix(uint seed, uint index)
    {
        uint h = index * 0x9E3779B9u + seed;
        h ^= h >> 16; h *= 0x85EBCA6Bu;
        h ^= h >> 13; h *= 0xC2B2AE35u;
        return h ^ (h >> 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Mix(Vector512<uint> seed, Vector512<uint> index)
    {
        var h = index * 0x9E3779B9u + seed;
        h ^= Vector512.ShiftRightLogical(h, 16); h *= 0x85EBCA6Bu;
        h ^= Vector512.ShiftRightLogical(h, 13); h *= 0xC2B2AE35u;
        return h ^ Vector512.ShiftRightLogical(h, 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Mix(Vector256<uint> seed, Vector256<uint> index)
    {
        var h = index * 0x9E3779B9u + seed;
        h ^= Vector256.ShiftRightLogical(h, 16); h *= 0x85EBCA6Bu;
        h ^= Vector256.ShiftRightLogical(h, 13); h *= 0xC2B2AE35u;
        return h ^ Vector256.ShiftRightLogical(h, 16);
    }

    /// <summary>A uniform sample in (0, 1) that is a pure function of <paramref name="seed"/> and <paramref name="index"/> (gate noise, layer drop).</summary>
    public static double Uniform(ulong seed, int index) => ((Hash(seed, (ulong)index) >> 11) + 0.5) / (1UL << 53);

    /// <summary>SplitMix64 of seed and index: derives independent seeds for the dropout sites of a step.</summary>
    public static ulong Hash(ulong seed, ulong index)
    {
        ulong z = seed + 0x9E3779B97F4A7C15UL * (index + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
