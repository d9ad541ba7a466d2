using System.Buffers;

namespace DpBert.Tokenization;

/// <summary>
/// Unicode canonical normalisation (NFD, NFC) with CPython 3.11's data (Unicode 14.0), following UAX #15:
/// full canonical decomposition (Hangul algorithmically), canonical ordering of combining marks, then
/// canonical composition with the blocking rule. .NET's <c>string.Normalize</c> cannot be used: under
/// InvariantGlobalization it leaves non-ASCII text untouched.
/// </summary>
internal static class CanonicalNormalizer
{
    /// <summary>No code point's NFD is more than this many times longer, in UTF-16 units (U+1F82 is 1 -> 4).</summary>
    public const int MaxExpansion = 4;

    private const int HangulSBase = 0xAC00, HangulLBase = 0x1100, HangulVBase = 0x1161, HangulTBase = 0x11A7;
    private const int HangulLCount = 19, HangulVCount = 21, HangulTCount = 28;
    private const int HangulNCount = HangulVCount * HangulTCount, HangulSCount = HangulLCount * HangulNCount;

    private static readonly Dictionary<int, byte> s_combiningClass = new();
    private static readonly Dictionary<int, (int First, int Second)> s_decomposition = new();
    private static readonly Dictionary<long, int> s_composition = new();

    static CanonicalNormalizer()
    {
        var ccc = UnicodeCharacterData.CombiningClassRuns;
        for (int r = 0; r < ccc.Length; r += 2)
        {
            if (ccc[r + 1] == 0) continue;
            int end = r + 2 < ccc.Length ? ccc[r + 2] : 0x110000;
            for (int cp = ccc[r]; cp < end; cp++) s_combiningClass[cp] = (byte)ccc[r + 1];
        }
        var excluded = new HashSet<int>();
        foreach (int cp in UnicodeCharacterData.CompositionExclusions) excluded.Add(cp);
        var d = UnicodeCharacterData.Decompositions;
        for (int i = 0; i < d.Length; i += 3)
        {
            s_decomposition[d[i]] = (d[i + 1], d[i + 2]);
            if (d[i + 2] >= 0 && !excluded.Contains(d[i])) s_composition[PairKey(d[i + 1], d[i + 2])] = d[i];
        }
    }

    /// <summary>The canonical combining class (0 for starters).</summary>
    public static int CombiningClass(int codePoint) =>
        codePoint < 0x300 ? 0 : s_combiningClass.TryGetValue(codePoint, out byte c) ? c : 0;

    /// <summary>Writes NFC of <paramref name="source"/>; <paramref name="destination"/> needs
    /// <see cref="MaxExpansion"/> times the source length. Returns the chars written.</summary>
    public static int ToNfc(ReadOnlySpan<char> source, Span<char> destination) => Normalize(source, destination, compose: true, dropNonSpacingMarks: false);

    /// <summary>Writes NFD of <paramref name="source"/> (sizes as for <see cref="ToNfc"/>).</summary>
    public static int ToNfd(ReadOnlySpan<char> source, Span<char> destination) => Normalize(source, destination, compose: false, dropNonSpacingMarks: false);

    /// <summary>BERT's accent stripping: NFD, then every code point of category Mn dropped.</summary>
    public static int StripAccents(ReadOnlySpan<char> source, Span<char> destination) => Normalize(source, destination, compose: false, dropNonSpacingMarks: true);

    /// <summary>Normalises a whole string (for tests and diagnostics).</summary>
    public static string Normalize(string text, bool compose)
    {
        var buffer = new char[text.Length * MaxExpansion];
        return new string(buffer, 0, compose ? ToNfc(text, buffer) : ToNfd(text, buffer));
    }

    private static int Normalize(ReadOnlySpan<char> source, Span<char> destination, bool compose, bool dropNonSpacingMarks)
    {
        if (source.IsEmpty) return 0;
        int[] rented = ArrayPool<int>.Shared.Rent(source.Length * MaxExpansion);
        try
        {
            var codePoints = rented.AsSpan();
            int count = 0;
            for (int i = 0; i < source.Length;)
            {
                int cp = CharacterProperties.ReadCodePoint(source, i, out int length);
                i += length;
                count = Decompose(cp, codePoints, count);
            }
            SortCombiningMarks(codePoints[..count]);
            if (compose) count = Compose(codePoints[..count]);

            int written = 0;
            foreach (int cp in codePoints[..count])
            {
                if (dropNonSpacingMarks && CharacterProperties.GetClass(cp) == CharacterFlags.NonSpacingMark) continue;
                written += CharacterProperties.WriteCodePoint(cp, destination[written..]);
            }
            return written;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    private static int Decompose(int cp, Span<int> output, int count)
    {
        int s = cp - HangulSBase;
        if ((uint)s < HangulSCount)
        {
            output[count++] = HangulLBase + s / HangulNCount;
            output[count++] = HangulVBase + s % HangulNCount / HangulTCount;
            if (s % HangulTCount != 0) output[count++] = HangulTBase + s % HangulTCount;
            return count;
        }
        if (cp >= 0xC0 && s_decomposition.TryGetValue(cp, out var parts))
        {
            count = Decompose(parts.First, output, count);
            return parts.Second >= 0 ? Decompose(parts.Second, output, count) : count;
        }
        output[count++] = cp;
        return count;
    }

    /// <summary>Canonical ordering: a stable sort by combining class inside every run of non-starters.</summary>
    private static void SortCombiningMarks(Span<int> codePoints)
    {
        for (int i = 1; i < codePoints.Length; i++)
        {
            int cp = codePoints[i], ccc = CombiningClass(cp);
            if (ccc == 0) continue;
            int j = i - 1;
            while (j >= 0 && CombiningClass(codePoints[j]) > ccc)
            {
                codePoints[j + 1] = codePoints[j];
                j--;
            }
            codePoints[j + 1] = cp;
        }
    }

    /// <summary>Canonical composition in place; returns the new length.</summary>
    private static int Compose(Span<int> codePoints)
    {
        int written = 0, starter = -1, lastClass = 0;
        for (int i = 0; i < codePoints.Length; i++)
        {
            int cp = codePoints[i], ccc = CombiningClass(cp);
            // cp may join the last starter if nothing between them blocks it: either it follows the starter
            // directly, or every mark in between has a lower non-zero class.
            if (starter >= 0 && (written == starter + 1 || (lastClass != 0 && lastClass < ccc))
                && TryCompose(codePoints[starter], cp, out int composite))
            {
                codePoints[starter] = composite;
                continue;
            }
            if (ccc == 0) starter = written;
            lastClass = ccc;
            codePoints[written++] = cp;
        }
        return written;
    }

    private static bool TryCompose(int first, int second, out int composite)
    {
        int l = first - HangulLBase, v = second - HangulVBase;
        if ((uint)l < HangulLCount && (uint)v < HangulVCount)
        {
            composite = HangulSBase + (l * HangulVCount + v) * HangulTCount;
            return true;
        }
        int s = first - HangulSBase, t = second - HangulTBase;
        if ((uint)s < HangulSCount && s % HangulTCount == 0 && t > 0 && t < HangulTCount)
        {
            composite = first + t;
            return true;
        }
        return s_composition.TryGetValue(PairKey(first, second), out composite);
    }

    private static long PairKey(int first, int second) => ((long)first << 21) | (uint)second;
}
