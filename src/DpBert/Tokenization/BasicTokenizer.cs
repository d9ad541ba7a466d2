using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text;

namespace DpBert.Tokenization;

/// <summary>
/// BERT's basic tokenizer, behaving as Hugging Face's slow <c>BasicTokenizer</c> (transformers 4.31 on
/// Python 3.11): clean the text (drop U+0000, U+FFFD and category C* except \t \n \r; whitespace becomes a
/// space), put spaces around CJK ideographs, NFC, split on whitespace, then per word lower-case (Python's
/// <c>str.lower()</c>) and strip accents (NFD, drop Mn), and split off every punctuation character.
/// Never-split tokens are kept whole when they appear as a whitespace-separated word.
/// </summary>
/// <remarks>
/// Unicode properties and normalisation come from Unicode 14.0 tables (what CPython 3.11 uses), so
/// results do not depend on the .NET version or on InvariantGlobalization. Instances are immutable and
/// safe to share between threads.
/// </remarks>
[SkipLocalsInit]
public sealed class BasicTokenizer
{
    private const int StackChars = 1024;
    // ASCII 33-47, 58-64, 91-96, 123-126 (BERT's ASCII punctuation) as two 64-bit masks.
    private const ulong AsciiPunctuationLow = 0xFC00FFFE00000000UL, AsciiPunctuationHigh = 0x78000001F8000001UL;

    private readonly string[] _neverSplit;
    private readonly string _neverSplitFirstChars;

    /// <summary>Creates a basic tokenizer with Hugging Face's parameters.</summary>
    /// <param name="doLowerCase">Lower-case words (and, unless <paramref name="stripAccents"/> is false, strip accents).</param>
    /// <param name="stripAccents">Strip accents; null follows <paramref name="doLowerCase"/>.</param>
    /// <param name="tokenizeChineseChars">Make every CJK ideograph a word of its own.</param>
    /// <param name="neverSplit">Words kept whole and unchanged, for example <c>[CLS]</c>.</param>
    public BasicTokenizer(bool doLowerCase = true, bool? stripAccents = null, bool tokenizeChineseChars = true,
        IEnumerable<string>? neverSplit = null)
    {
        DoLowerCase = doLowerCase;
        StripAccents = stripAccents;
        TokenizeChineseChars = tokenizeChineseChars;
        _neverSplit = neverSplit?.Where(t => !string.IsNullOrEmpty(t)).Distinct(StringComparer.Ordinal).ToArray() ?? [];
        _neverSplitFirstChars = new string(_neverSplit.Select(t => t[0]).Distinct().ToArray());
    }

    /// <summary>Whether words are lower-cased.</summary>
    public bool DoLowerCase { get; }

    /// <summary>Accent stripping as configured (null: follow <see cref="DoLowerCase"/>).</summary>
    public bool? StripAccents { get; }

    /// <summary>Whether CJK ideographs become words of their own.</summary>
    public bool TokenizeChineseChars { get; }

    /// <summary>Words that are never split nor normalised.</summary>
    public IReadOnlyList<string> NeverSplit => _neverSplit;

    private bool StripsAccents => StripAccents ?? DoLowerCase;

    /// <summary>Splits <paramref name="text"/> into words, as <c>BasicTokenizer.tokenize(text)</c>.</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sink = new ListSink(new List<string>());
        Split(text, lowerCaseEachCharacterFirst: false, ref sink);
        return sink.Words;
    }

    /// <summary>
    /// Feeds the words of <paramref name="text"/> to <paramref name="sink"/>; returns false when the sink
    /// stopped early. With <paramref name="lowerCaseEachCharacterFirst"/> (and <see cref="DoLowerCase"/>) every
    /// character is lower-cased on its own before anything else, which is what <c>BertTokenizer.tokenize</c>
    /// does before calling the basic tokenizer (so a capital sigma never becomes final sigma there).
    /// </summary>
    internal bool Split<TSink>(ReadOnlySpan<char> text, bool lowerCaseEachCharacterFirst, ref TSink sink)
        where TSink : IWordSink, allows ref struct
    {
        if (text.IsEmpty) return true;
        bool lowerFirst = lowerCaseEachCharacterFirst && DoLowerCase;
        int cleanedMax = text.Length * 3;   // a CJK ideograph becomes " x "
        char[]? cleanedArray = null, normalized = null, scratch = null;
        Span<char> cleaned = cleanedMax <= StackChars ? stackalloc char[StackChars] : (cleanedArray = ArrayPool<char>.Shared.Rent(cleanedMax));
        try
        {
            int length;
            bool needsNfc = false, hasNonAscii = false;
            if (!text.ContainsAnyExceptInRange(' ', '~'))
            {
                // Printable ASCII only (the common case): nothing to remove, no NFC, no accents.
                if (lowerFirst)
                {
                    var status = Ascii.ToLower(text, cleaned, out length);
                    Debug.Assert(status == OperationStatus.Done);
                }
                else
                {
                    text.CopyTo(cleaned);
                    length = text.Length;
                }
            }
            else
            {
                length = Clean(text, cleaned, lowerFirst, out needsNfc, out hasNonAscii);
            }
            Span<char> words = cleaned[..length];
            if (needsNfc)
            {
                normalized = ArrayPool<char>.Shared.Rent(length * CanonicalNormalizer.MaxExpansion);
                words = normalized.AsSpan(0, CanonicalNormalizer.ToNfc(words, normalized));
            }

            for (int start = 0; start < words.Length;)
            {
                if (words[start] == ' ')
                {
                    start++;
                    continue;
                }
                int end = words[start..].IndexOf(' ');
                end = end < 0 ? words.Length : start + end;
                if (!SplitWord(words[start..end], lowerFirst, hasNonAscii, ref scratch, ref sink)) return false;
                start = end;
            }
            return true;
        }
        finally
        {
            if (cleanedArray is not null) ArrayPool<char>.Shared.Return(cleanedArray);
            if (normalized is not null) ArrayPool<char>.Shared.Return(normalized);
            if (scratch is not null) ArrayPool<char>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// clean_text + tokenize_chinese_chars in one pass (and, when asked, per-character lower-casing).
    /// Every separator becomes a single ' '. Reports whether NFC could change the result.
    /// </summary>
    private int Clean(ReadOnlySpan<char> text, Span<char> output, bool lowerFirst, out bool needsNfc, out bool hasNonAscii)
    {
        int n = 0;
        needsNfc = false;
        hasNonAscii = false;
        for (int i = 0; i < text.Length;)
        {
            char c = text[i];
            if (c < 0x80)
            {
                i++;
                var asciiClass = CharacterProperties.GetClass(c);
                if (asciiClass == CharacterFlags.Removed) continue;
                output[n++] = asciiClass == CharacterFlags.Separator ? ' '
                    : lowerFirst && (uint)(c - 'A') <= 'Z' - 'A' ? (char)(c | 0x20) : c;
                continue;
            }

            int cp = CharacterProperties.ReadCodePoint(text, i, out int length);
            i += length;
            var flags = CharacterProperties.Get(cp);
            var cls = flags & CharacterFlags.ClassMask;
            if (cls == CharacterFlags.Removed) continue;
            if (cls == CharacterFlags.Separator)
            {
                output[n++] = ' ';
                continue;
            }
            hasNonAscii = true;
            if ((flags & CharacterFlags.CjkIdeograph) != 0 && TokenizeChineseChars)
            {
                output[n++] = ' ';
                n += CharacterProperties.WriteCodePoint(cp, output[n..]);
                output[n++] = ' ';
                needsNfc |= (flags & CharacterFlags.NfcSensitive) != 0;
                continue;
            }
            if (!lowerFirst)
            {
                n += CharacterProperties.WriteCodePoint(cp, output[n..]);
                needsNfc |= (flags & CharacterFlags.NfcSensitive) != 0;
                continue;
            }
            int start = n;
            n += PythonLowerCase.LowerCodePoint(cp, output[n..]);
            for (int k = start; k < n;)
            {
                int lowered = CharacterProperties.ReadCodePoint(output, k, out int loweredLength);
                needsNfc |= (CharacterProperties.Get(lowered) & CharacterFlags.NfcSensitive) != 0;
                k += loweredLength;
            }
        }
        return n;
    }

    /// <summary>One whitespace-separated word: lower-case, strip accents, split off punctuation.</summary>
    private bool SplitWord<TSink>(scoped ReadOnlySpan<char> token, bool alreadyLowerCased, bool hasNonAscii, ref char[]? scratch, ref TSink sink)
        where TSink : IWordSink, allows ref struct
    {
        if (IsNeverSplit(token)) return sink.Accept(token, neverSplit: true);

        ReadOnlySpan<char> word = token;
        bool lower = DoLowerCase && !alreadyLowerCased, strip = StripsAccents && hasNonAscii;
        if (lower || strip)
        {
            // Lower-casing at most doubles the length (U+0130), NFD at most quadruples it.
            int loweredMax = token.Length * 2;
            var buffer = Scratch(ref scratch, loweredMax * (1 + CanonicalNormalizer.MaxExpansion));
            if (lower) word = buffer.AsSpan(0, PythonLowerCase.Lower(token, buffer.AsSpan(0, loweredMax)));
            if (strip && NeedsAccentStripping(word))
            {
                var stripped = buffer.AsSpan(loweredMax);
                word = stripped[..CanonicalNormalizer.StripAccents(word, stripped)];
            }
            if (IsNeverSplit(word)) return sink.Accept(word, neverSplit: true);
        }

        int wordStart = 0;
        for (int i = 0; i < word.Length;)
        {
            char c = word[i];
            int cp = c < 0x80 ? c : CharacterProperties.ReadCodePoint(word, i, out _);
            int length = cp > 0xFFFF ? 2 : 1;
            if (c < 0x80 ? IsAsciiPunctuation(c) : CharacterProperties.GetClass(cp) == CharacterFlags.Punctuation)
            {
                if (i > wordStart && !sink.Accept(word[wordStart..i], neverSplit: false)) return false;
                if (!sink.Accept(word.Slice(i, length), neverSplit: false)) return false;
                wordStart = i + length;
            }
            i += length;
        }
        return wordStart >= word.Length || sink.Accept(word[wordStart..], neverSplit: false);
    }

    private static bool NeedsAccentStripping(ReadOnlySpan<char> word)
    {
        for (int i = 0; i < word.Length;)
        {
            if (word[i] < 0xC0)
            {
                i++;
                continue;
            }
            var flags = CharacterProperties.Get(CharacterProperties.ReadCodePoint(word, i, out int length));
            if ((flags & CharacterFlags.NfdSensitive) != 0 || (flags & CharacterFlags.ClassMask) == CharacterFlags.NonSpacingMark) return true;
            i += length;
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsAsciiPunctuation(char c) =>
        ((c < 64 ? AsciiPunctuationLow >> c : AsciiPunctuationHigh >> (c - 64)) & 1) != 0;

    private bool IsNeverSplit(ReadOnlySpan<char> token)
    {
        if (token.IsEmpty || !_neverSplitFirstChars.Contains(token[0])) return false;
        foreach (string special in _neverSplit)
            if (token.SequenceEqual(special)) return true;
        return false;
    }

    private static char[] Scratch(ref char[]? scratch, int length)
    {
        if (scratch is not null && scratch.Length >= length) return scratch;
        if (scratch is not null) ArrayPool<char>.Shared.Return(scratch);
        return scratch = ArrayPool<char>.Shared.Rent(length);
    }

    private readonly struct ListSink(List<string> words) : IWordSink
    {
        public List<string> Words { get; } = words;

        public bool Accept(scoped ReadOnlySpan<char> word, bool neverSplit)
        {
            Words.Add(word.ToString());
            return true;
        }
    }
}
