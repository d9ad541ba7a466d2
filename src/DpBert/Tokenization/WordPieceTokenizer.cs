using System.Buffers;
using System.Runtime.CompilerServices;

namespace DpBert.Tokenization;

/// <summary>
/// WordPiece: splits one word into the longest vocabulary pieces, left to right (greedy longest match
/// first), continuation pieces prefixed with <c>##</c>. A word that cannot be covered completely, or that
/// has more than <see cref="MaxInputCharsPerWord"/> characters (Unicode code points, as Python counts
/// them), becomes the single unknown token. Immutable and thread-safe.
/// </summary>
[SkipLocalsInit]
public sealed class WordPieceTokenizer
{
    /// <summary>Creates a WordPiece tokenizer over <paramref name="vocabulary"/>.</summary>
    /// <param name="vocabulary">The vocabulary.</param>
    /// <param name="unknownToken">The token for words that cannot be covered; must be in the vocabulary.</param>
    /// <param name="maxInputCharsPerWord">Longer words become <paramref name="unknownToken"/>.</param>
    /// <exception cref="InvalidDataException">The unknown token is not in the vocabulary.</exception>
    public WordPieceTokenizer(WordPieceVocabulary vocabulary, string unknownToken = "[UNK]", int maxInputCharsPerWord = 100)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxInputCharsPerWord);
        Vocabulary = vocabulary;
        UnknownId = vocabulary.TryGetId(unknownToken, out int unk) ? unk
            : throw new InvalidDataException($"{vocabulary.Source}: unknown token {unknownToken} is not in the vocabulary");
        MaxInputCharsPerWord = maxInputCharsPerWord;
    }

    /// <summary>The vocabulary pieces come from.</summary>
    public WordPieceVocabulary Vocabulary { get; }

    /// <summary>Id of the unknown token.</summary>
    public int UnknownId { get; }

    /// <summary>Words with more code points than this become the unknown token.</summary>
    public int MaxInputCharsPerWord { get; }

    /// <summary>The pieces of every whitespace-separated word of <paramref name="text"/>, as tokens.</summary>
    public IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        var ids = new int[Math.Max(1, text.Length)];
        foreach (string word in PythonWhitespace.Split(text))
        {
            int count = TokenizeToIds(word, ids);
            for (int i = 0; i < count; i++) tokens.Add(Vocabulary.GetToken(ids[i]));
        }
        return tokens;
    }

    /// <summary>
    /// Writes the piece ids of one word; <paramref name="ids"/> needs room for one id per UTF-16 char of
    /// the word (the most pieces a word can have). Returns the number of ids (0 for an empty word).
    /// </summary>
    public int TokenizeToIds(ReadOnlySpan<char> word, Span<int> ids)
    {
        if (word.IsEmpty) return 0;
        if (word.Length > MaxInputCharsPerWord && CountCodePoints(word) > MaxInputCharsPerWord)
        {
            ids[0] = UnknownId;
            return 1;
        }

        int longestWhole = Vocabulary.MaxTokenLength, longestContinuation = Vocabulary.MaxContinuationLength;
        int longest = Math.Max(longestWhole, longestContinuation);
        uint[]? rented = null;
        Span<uint> prefixHashes = longest <= 128 ? stackalloc uint[128] : (rented = ArrayPool<uint>.Shared.Rent(longest));
        try
        {
            int count = 0;
            for (int start = 0; start < word.Length;)
            {
                // Longest match first. Pieces longer than the longest vocabulary token cannot match; the
                // hashes of all candidate pieces come from one pass (FNV extends char by char).
                var table = start == 0 ? Vocabulary.Ids : Vocabulary.ContinuationIds;
                int maxEnd = Math.Min(word.Length, start + (start == 0 ? longestWhole : longestContinuation));
                uint hash = TokenIdTable.EmptyHash;
                for (int k = start; k < maxEnd; k++) prefixHashes[k - start] = hash = TokenIdTable.Extend(hash, word[k]);

                int end = maxEnd, id = -1;
                for (; end > start; end--)
                {
                    if (end < word.Length && char.IsLowSurrogate(word[end]) && char.IsHighSurrogate(word[end - 1])) continue;
                    if (table.TryGetId(word[start..end], prefixHashes[end - start - 1], out id)) break;
                }
                if (end == start)
                {
                    ids[0] = UnknownId;
                    return 1;
                }
                ids[count++] = id;
                start = end;
            }
            return count;
        }
        finally
        {
            if (rented is not null) ArrayPool<uint>.Shared.Return(rented);
        }
    }

    private static int CountCodePoints(ReadOnlySpan<char> word)
    {
        int count = word.Length;
        for (int i = 1; i < word.Length; i++)
            if (char.IsLowSurrogate(word[i]) && char.IsHighSurrogate(word[i - 1])) count--;
        return count;
    }
}
