using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace DpBert.Tokenization;

/// <summary>What the tokenizer needs to know about one code point, packed in a byte.</summary>
[Flags]
internal enum CharacterFlags : byte
{
    /// <summary>Letters, digits, symbols: kept as they are.</summary>
    Other = 0,
    /// <summary>Deleted by BERT's clean_text: category C* except \t \n \r, U+0000, U+FFFD, lone surrogates.</summary>
    Removed = 1,
    /// <summary>Separates words: \t \n \r, Zs, and Zl/Zp (which Python's str.split() also breaks on).</summary>
    Separator = 2,
    /// <summary>A word of its own: ASCII 33-47, 58-64, 91-96, 123-126 or category P*.</summary>
    Punctuation = 3,
    /// <summary>Category Mn: dropped by accent stripping.</summary>
    NonSpacingMark = 4,
    /// <summary>Mask of the three class bits above.</summary>
    ClassMask = 7,
    /// <summary>Case_Ignorable (skipped when deciding final sigma).</summary>
    CaseIgnorable = 8,
    /// <summary>Cased and not Case_Ignorable (a neighbour that makes sigma final).</summary>
    Cased = 16,
    /// <summary>NFC may change the text around this code point (ccc != 0, NFC_QC not Yes).</summary>
    NfcSensitive = 32,
    /// <summary>NFD changes or reorders it (has a canonical decomposition, or ccc != 0).</summary>
    NfdSensitive = 64,
    /// <summary>In BERT's CJK ideograph ranges (tokenize_chinese_chars makes it a word of its own).</summary>
    CjkIdeograph = 128,
}

/// <summary>
/// Code point lookups with the answers CPython 3.11 (Unicode 14.0) gives, which is what the Hugging Face
/// goldens were made with; .NET's own tables are a newer Unicode and its normalisation is inert under
/// InvariantGlobalization. A two-stage table (256 code points per block, identical blocks shared) makes
/// every lookup two loads.
/// </summary>
internal static class CharacterProperties
{
    private const int BlockBits = 8;
    private const int BlockSize = 1 << BlockBits;
    private const int CodePointCount = 0x110000;

    private static readonly ushort[] s_blockIndex;      // (CodePointCount / BlockSize) -> block number
    private static readonly byte[] s_blocks;            // (blocks * BlockSize) flags

    static CharacterProperties() => (s_blockIndex, s_blocks) = BuildTables();

    // Runs once; optimised straight away rather than through tier-0 code (it loops over 1.1M code points).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (ushort[] BlockIndex, byte[] Blocks) BuildTables()
    {
        var flags = new byte[CodePointCount];
        var runs = UnicodeCharacterData.CharacterRuns;
        for (int r = 0; r < runs.Length; r += 2)
        {
            int start = runs[r], end = r + 2 < runs.Length ? runs[r + 2] : CodePointCount;
            flags.AsSpan(start, end - start).Fill((byte)runs[r + 1]);
        }

        MarkNormalizationSensitive(flags);

        // BERT's _is_chinese_char ranges (the CJK Unified Ideographs blocks and their compatibility forms).
        ReadOnlySpan<int> cjk =
        [
            0x4E00, 0x9FFF, 0x3400, 0x4DBF, 0x20000, 0x2A6DF, 0x2A700, 0x2B73F,
            0x2B740, 0x2B81F, 0x2B820, 0x2CEAF, 0xF900, 0xFAFF, 0x2F800, 0x2FA1F,
        ];
        for (int r = 0; r < cjk.Length; r += 2)
            for (int cp = cjk[r]; cp <= cjk[r + 1]; cp++) flags[cp] |= (byte)CharacterFlags.CjkIdeograph;

        var blockIndex = new ushort[CodePointCount / BlockSize];
        var blocks = new List<byte[]>();
        var uniform = new Dictionary<byte, ushort>();                            // most blocks hold one value
        var mixed = new Dictionary<string, ushort>(StringComparer.Ordinal);      // the others, keyed by content
        for (int b = 0; b < blockIndex.Length; b++)
        {
            var block = flags.AsSpan(b * BlockSize, BlockSize);
            bool isUniform = !block.ContainsAnyExcept(block[0]);
            string? key = isUniform ? null : Convert.ToBase64String(block);
            if (!(isUniform ? uniform.TryGetValue(block[0], out ushort index) : mixed.TryGetValue(key!, out index)))
            {
                index = checked((ushort)blocks.Count);
                if (isUniform) uniform.Add(block[0], index);
                else mixed.Add(key!, index);
                blocks.Add(block.ToArray());
            }
            blockIndex[b] = index;
        }
        var packed = new byte[blocks.Count * BlockSize];
        for (int i = 0; i < blocks.Count; i++) blocks[i].CopyTo(packed, i * BlockSize);
        return (blockIndex, packed);
    }

    /// <summary>
    /// NFD touches code points with a canonical decomposition or a non-zero combining class. NFC may change
    /// text around code points with a non-zero class or NFC_Quick_Check No/Maybe: decompositions that never
    /// recompose (singletons, exclusions), and the second half of every composable pair (Hangul V and T too).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MarkNormalizationSensitive(byte[] flags)
    {
        const byte Both = (byte)(CharacterFlags.NfcSensitive | CharacterFlags.NfdSensitive);
        var ccc = UnicodeCharacterData.CombiningClassRuns;
        for (int r = 0; r < ccc.Length; r += 2)
        {
            if (ccc[r + 1] == 0) continue;
            int end = r + 2 < ccc.Length ? ccc[r + 2] : CodePointCount;
            for (int cp = ccc[r]; cp < end; cp++) flags[cp] |= Both;
        }
        var exclusions = UnicodeCharacterData.CompositionExclusions;   // ascending
        var d = UnicodeCharacterData.Decompositions;                   // (code point, first, second or -1)
        for (int i = 0; i < d.Length; i += 3)
        {
            flags[d[i]] |= (byte)CharacterFlags.NfdSensitive;
            bool recomposes = d[i + 2] >= 0 && exclusions.BinarySearch(d[i]) < 0;
            flags[recomposes ? d[i + 2] : d[i]] |= (byte)CharacterFlags.NfcSensitive;
        }
        for (int cp = 0xAC00; cp <= 0xD7A3; cp++) flags[cp] |= (byte)CharacterFlags.NfdSensitive;   // Hangul syllables
        for (int cp = 0x1161; cp <= 0x1175; cp++) flags[cp] |= (byte)CharacterFlags.NfcSensitive;   // Hangul V
        for (int cp = 0x11A8; cp <= 0x11C2; cp++) flags[cp] |= (byte)CharacterFlags.NfcSensitive;   // Hangul T
    }

    /// <summary>The flags of a code point (0 ... 0x10FFFF; surrogates count as removed).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CharacterFlags Get(int codePoint)
    {
        Debug.Assert((uint)codePoint < CodePointCount);
        return (CharacterFlags)s_blocks[(s_blockIndex[codePoint >> BlockBits] << BlockBits) | (codePoint & (BlockSize - 1))];
    }

    /// <summary>The class bits only (<see cref="CharacterFlags.ClassMask"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static CharacterFlags GetClass(int codePoint) => Get(codePoint) & CharacterFlags.ClassMask;

    /// <summary>
    /// Reads the code point at <paramref name="index"/>; a well-formed surrogate pair counts 2, a lone
    /// surrogate is returned as itself (its flags say removed), as Python sees it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ReadCodePoint(ReadOnlySpan<char> text, int index, out int length)
    {
        char c = text[index];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            length = 2;
            return char.ConvertToUtf32(c, text[index + 1]);
        }
        length = 1;
        return c;
    }

    /// <summary>Writes a code point as UTF-16; returns the number of chars (1 or 2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteCodePoint(int codePoint, Span<char> destination)
    {
        if (codePoint < 0x10000)
        {
            destination[0] = (char)codePoint;
            return 1;
        }
        codePoint -= 0x10000;
        destination[0] = (char)(0xD800 + (codePoint >> 10));
        destination[1] = (char)(0xDC00 + (codePoint & 0x3FF));
        return 2;
    }
}
