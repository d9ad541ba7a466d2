using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace DpBert.Tokenization;

/// <summary>
/// BERT's WordPiece tokenizer with the behaviour of Hugging Face's slow <c>BertTokenizer</c> (transformers
/// 4.31): literal special tokens (<c>[CLS]</c>, <c>[SEP]</c>, <c>[PAD]</c>, <c>[UNK]</c>, <c>[MASK]</c>, exact
/// case) are split out first, anywhere in the text; the rest is lower-cased character by character (uncased
/// models), split into words by <see cref="Tokenization.BasicTokenizer"/> and into pieces by
/// <see cref="WordPieceTokenizer"/>. Encoding adds <c>[CLS]</c>/<c>[SEP]</c>, token types and
/// <c>longest_first</c> truncation; decoding joins pieces and cleans up spaces as <c>decode</c> does.
/// </summary>
/// <remarks>
/// Immutable and safe to use from several threads. The span-based methods (<see cref="TokenizeToIds(ReadOnlySpan{char}, Span{int})"/>,
/// <see cref="EncodeToIds"/>) do not allocate per token: buffers come from <see cref="ArrayPool{T}"/> per call
/// and vocabulary lookups take spans.
/// </remarks>
[SkipLocalsInit]
public sealed class BertTokenizer
{
    /// <summary>File name of the WordPiece vocabulary in a model folder.</summary>
    public const string VocabFileName = "vocab.txt";

    private static readonly SearchValues<string> s_specialTokenSearch = SearchValues.Create(SpecialTokenIds.Tokens.ToArray(), StringComparison.Ordinal);

    private readonly int[] _specialIdByIndex;   // parallel to SpecialTokenIds.Tokens

    /// <summary>Creates a tokenizer over <paramref name="vocabulary"/>.</summary>
    /// <exception cref="InvalidDataException">A special token is missing from the vocabulary (the message names it).</exception>
    public BertTokenizer(WordPieceVocabulary vocabulary, BertTokenizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        Options = options ?? new BertTokenizerOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.MaxInputCharsPerWord);
        Vocabulary = vocabulary;
        SpecialTokens = vocabulary.GetSpecialTokenIds();
        _specialIdByIndex = [.. SpecialTokenIds.Tokens.Select(vocabulary.GetId)];
        BasicTokenizer = new BasicTokenizer(Options.DoLowerCase, Options.StripAccents, Options.TokenizeChineseChars, SpecialTokenIds.Tokens);
        WordPiece = new WordPieceTokenizer(vocabulary, "[UNK]", Options.MaxInputCharsPerWord);
    }

    /// <summary>Loads <paramref name="vocabPath"/> (a <c>vocab.txt</c>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The vocabulary is invalid or lacks a special token.</exception>
    public static BertTokenizer FromVocabFile(string vocabPath, BertTokenizerOptions? options = null) =>
        new(WordPieceVocabulary.Load(vocabPath), options);

    /// <summary>
    /// Loads a Hugging Face model folder: <c>vocab.txt</c> plus, when present, <c>tokenizer_config.json</c>
    /// (do_lower_case, strip_accents, tokenize_chinese_chars). Without a configuration the tokenizer is
    /// uncased, as Hugging Face's default. A folder without <c>vocab.txt</c> but with <c>tokenizer.json</c> uses
    /// that file's vocabulary and normalizer settings (see <see cref="TokenizerJsonFile"/>).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">The folder has neither <c>vocab.txt</c> nor <c>tokenizer.json</c>.</exception>
    /// <exception cref="InvalidDataException">A file is invalid; the message names it (and the key).</exception>
    public static BertTokenizer FromFolder(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: tokenizer folder not found");
        var options = BertTokenizerOptions.Load(Path.Combine(folder, BertTokenizerOptions.ConfigFileName));
        string vocabPath = Path.Combine(folder, VocabFileName), tokenizerJson = Path.Combine(folder, TokenizerJsonFile.FileName);
        if (!File.Exists(vocabPath) && File.Exists(tokenizerJson))
        {
            var (vocabulary, fastOptions) = TokenizerJsonFile.Load(tokenizerJson, options);
            return new BertTokenizer(vocabulary, fastOptions);
        }
        return FromVocabFile(vocabPath, options);
    }

    /// <summary>The WordPiece vocabulary.</summary>
    public WordPieceVocabulary Vocabulary { get; }

    /// <summary>The normalisation settings.</summary>
    public BertTokenizerOptions Options { get; }

    /// <summary>Ids of the special tokens.</summary>
    public SpecialTokenIds SpecialTokens { get; }

    /// <summary>The word splitter (clean-up, lower-casing, accents, punctuation, CJK).</summary>
    public BasicTokenizer BasicTokenizer { get; }

    /// <summary>The piece splitter.</summary>
    public WordPieceTokenizer WordPiece { get; }

    /// <summary>The tokens of <paramref name="text"/>, without <c>[CLS]</c>/<c>[SEP]</c> (HF <c>tokenize</c>).</summary>
    public IReadOnlyList<string> Tokenize(string text) => ConvertIdsToTokens(TokenizeToIds(text));

    /// <summary>The token ids of <paramref name="text"/>, without <c>[CLS]</c>/<c>[SEP]</c>.</summary>
    public int[] TokenizeToIds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int[] rented = TokenizeRented(text, int.MaxValue, out int count);
        try { return rented.AsSpan(0, count).ToArray(); }
        finally { ArrayPool<int>.Shared.Return(rented); }
    }

    /// <summary>
    /// Writes the token ids of <paramref name="text"/> (no <c>[CLS]</c>/<c>[SEP]</c>) and stops when
    /// <paramref name="ids"/> is full: the first <c>ids.Length</c> ids of the text, as truncation keeps them.
    /// Returns the number written. Allocates nothing per token.
    /// </summary>
    public int TokenizeToIds(ReadOnlySpan<char> text, Span<int> ids)
    {
        int[]? fixedSize = null;
        return TokenizeCore(text, ids, ref fixedSize, ids.Length);
    }

    /// <summary>
    /// Writes <c>[CLS] tokens [SEP]</c> for <paramref name="text"/>, truncating the tokens so that everything
    /// fits in <paramref name="ids"/> (as <c>tokenizer(text, truncation=True, max_length=ids.Length)</c>).
    /// Returns the number of ids written. Allocates nothing per token.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="ids"/> has room for fewer than 2 ids.</exception>
    public int EncodeToIds(ReadOnlySpan<char> text, Span<int> ids)
    {
        if (ids.Length < 2) throw new ArgumentException("room for at least [CLS] and [SEP] is needed", nameof(ids));
        ids[0] = SpecialTokens.Cls;
        int count = TokenizeToIds(text, ids[1..^1]);
        ids[count + 1] = SpecialTokens.Sep;
        return count + 2;
    }

    /// <summary>
    /// Encodes one text or a pair as <c>tokenizer(text, text_pair, truncation=True, max_length=maxLength)</c>:
    /// <c>[CLS] a [SEP] (b [SEP])</c>. With <paramref name="maxLength"/>, tokens are removed one at a time from
    /// the end of the longer segment (the second when they are equally long) until the whole fits
    /// (<c>longest_first</c>); without it nothing is truncated.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> leaves no room for the special tokens.</exception>
    public BertEncoding Encode(string text, string? textPair = null, int? maxLength = null)
    {
        int[] ids = EncodeRented(text, textPair, maxLength, out int length, out int firstSegmentLength);
        try
        {
            var inputIds = ids.AsSpan(0, length).ToArray();
            var tokenTypes = new int[length];
            tokenTypes.AsSpan(firstSegmentLength).Fill(1);
            var mask = new int[length];
            mask.AsSpan().Fill(1);
            return new BertEncoding(inputIds, tokenTypes, mask, [.. ConvertIdsToTokens(inputIds)]);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(ids);
        }
    }

    /// <summary>
    /// Encodes every text (with its pair, when <paramref name="textPairs"/> is given) as <see cref="Encode"/>
    /// does and pads on the right to the longest row, or to <paramref name="maxLength"/> when
    /// <paramref name="padToMaxLength"/> is set.
    /// </summary>
    /// <exception cref="ArgumentException">The pair list has a different count, or padding to a missing maximum length was asked.</exception>
    public BertEncodingBatch EncodeBatch(IReadOnlyList<string> texts, IReadOnlyList<string>? textPairs = null,
        int? maxLength = null, bool padToMaxLength = false)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (textPairs is not null && textPairs.Count != texts.Count)
            throw new ArgumentException($"{textPairs.Count} text pairs for {texts.Count} texts", nameof(textPairs));
        if (padToMaxLength && maxLength is null)
            throw new ArgumentException("padding to the maximum length needs maxLength", nameof(padToMaxLength));

        int batch = texts.Count;
        var rows = new int[batch][];
        var lengths = new int[batch];
        var firstSegments = new int[batch];
        try
        {
            for (int b = 0; b < batch; b++)
                rows[b] = EncodeRented(texts[b], textPairs?[b], maxLength, out lengths[b], out firstSegments[b]);

            int seq = padToMaxLength ? maxLength!.Value : batch == 0 ? 0 : lengths.Max();
            var inputIds = new int[batch * seq];
            var tokenTypes = new int[batch * seq];
            var mask = new int[batch * seq];
            if (SpecialTokens.Pad != 0) inputIds.AsSpan().Fill(SpecialTokens.Pad);
            for (int b = 0; b < batch; b++)
            {
                int offset = b * seq, length = lengths[b];
                rows[b].AsSpan(0, length).CopyTo(inputIds.AsSpan(offset, seq));
                tokenTypes.AsSpan(offset + firstSegments[b], length - firstSegments[b]).Fill(1);
                mask.AsSpan(offset, length).Fill(1);
            }
            return new BertEncodingBatch(batch, seq, inputIds, tokenTypes, mask, lengths);
        }
        finally
        {
            foreach (var row in rows)
                if (row is not null) ArrayPool<int>.Shared.Return(row);
        }
    }

    /// <summary>
    /// Turns ids back into text as Hugging Face's <c>decode</c> (clean_up_tokenization_spaces=True): tokens
    /// joined with spaces, <c>" ##"</c> removed, then spaces before <c>. ? ! ,</c> and English contractions removed.
    /// An id outside the vocabulary reads as <c>[UNK]</c>.
    /// </summary>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var joined = new StringBuilder();
        foreach (int id in ids)
        {
            if (skipSpecialTokens && SpecialTokens.Contains(id)) continue;
            if (joined.Length > 0) joined.Append(' ');
            joined.Append(Vocabulary.TryGetToken(id, out var token) ? token : "[UNK]");
        }
        string text = PythonWhitespace.Strip(joined.Replace(" ##", "").ToString()).ToString();
        return text
            .Replace(" .", ".", StringComparison.Ordinal)
            .Replace(" ?", "?", StringComparison.Ordinal)
            .Replace(" !", "!", StringComparison.Ordinal)
            .Replace(" ,", ",", StringComparison.Ordinal)
            .Replace(" ' ", "'", StringComparison.Ordinal)
            .Replace(" n't", "n't", StringComparison.Ordinal)
            .Replace(" 'm", "'m", StringComparison.Ordinal)
            .Replace(" 's", "'s", StringComparison.Ordinal)
            .Replace(" 've", "'ve", StringComparison.Ordinal)
            .Replace(" 're", "'re", StringComparison.Ordinal);
    }

    /// <summary>The token of every id (<c>[UNK]</c> for an id outside the vocabulary).</summary>
    public string[] ConvertIdsToTokens(ReadOnlySpan<int> ids)
    {
        var tokens = new string[ids.Length];
        for (int i = 0; i < ids.Length; i++)
            tokens[i] = Vocabulary.TryGetToken(ids[i], out var token) ? token : "[UNK]";
        return tokens;
    }

    /// <summary>
    /// longest_first: while too long, drop the last token of the longer segment (of the second on a tie).
    /// </summary>
    internal static void TruncateLongestFirst(ref int firstLength, ref int secondLength, int budget)
    {
        while (firstLength + secondLength > budget && firstLength + secondLength > 0)
        {
            if (firstLength > secondLength) firstLength--;
            else secondLength--;
        }
    }

    /// <summary>[CLS] a [SEP] (b [SEP]) into a pooled array; the caller returns it to the pool.</summary>
    private int[] EncodeRented(string text, string? textPair, int? maxLength, out int length, out int firstSegmentLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        int specials = textPair is null ? 2 : 3;
        if (maxLength is int max && max < specials)
            throw new ArgumentOutOfRangeException(nameof(maxLength), max, $"must leave room for the {specials} special tokens");
        // Each segment needs at most `budget` tokens: longest_first never keeps more of either.
        int budget = maxLength is int m ? m - specials : int.MaxValue;

        int[] first = TokenizeRented(text, budget, out int firstCount);
        int[]? second = null;
        int secondCount = 0;
        try
        {
            if (textPair is not null) second = TokenizeRented(textPair, budget, out secondCount);
            if (maxLength is not null) TruncateLongestFirst(ref firstCount, ref secondCount, budget);

            length = firstCount + secondCount + specials;
            int[] ids = ArrayPool<int>.Shared.Rent(length);
            ids[0] = SpecialTokens.Cls;
            first.AsSpan(0, firstCount).CopyTo(ids.AsSpan(1));
            ids[firstCount + 1] = SpecialTokens.Sep;
            firstSegmentLength = firstCount + 2;
            if (second is not null)
            {
                second.AsSpan(0, secondCount).CopyTo(ids.AsSpan(firstSegmentLength));
                ids[length - 1] = SpecialTokens.Sep;
            }
            return ids;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(first);
            if (second is not null) ArrayPool<int>.Shared.Return(second);
        }
    }

    /// <summary>Up to <paramref name="limit"/> token ids in a pooled array that grows as needed.</summary>
    private int[] TokenizeRented(string text, int limit, out int count)
    {
        int[]? rented = ArrayPool<int>.Shared.Rent(Math.Max(16, Math.Min(limit, text.Length + 16)));
        count = TokenizeCore(text, rented, ref rented, limit);
        return rented!;
    }

    /// <summary>
    /// Tokenizes into <paramref name="ids"/>, up to <paramref name="limit"/> ids. When <paramref name="growable"/>
    /// is the pooled array behind <paramref name="ids"/>, it is replaced by a larger one as needed.
    /// </summary>
    private int TokenizeCore(ReadOnlySpan<char> text, Span<int> ids, ref int[]? growable, int limit)
    {
        // A word that is not [UNK] has at most twice max_input_chars_per_word UTF-16 chars (surrogate pairs). The pieces
        // buffer is sized for usual words; a longer word gets one of its own length, so memory follows the text and not
        // the setting, which a tokenizer_config.json may make as large as an int.
        long longestWord = 2L * Options.MaxInputCharsPerWord;
        Span<int> pieces = stackalloc int[(int)Math.Min(longestWord, 512)];
        var sink = new IdSink(WordPiece, pieces, longestWord, ids, growable, limit);
        TokenizeSegments(text, ref sink);
        growable = sink.Rented;
        return sink.Count;
    }

    /// <summary>
    /// Splits out literal special tokens (exact case, anywhere), then tokenizes the text between them.
    /// Hugging Face lower-cases each character of that text on its own first (a regex over single
    /// characters), which the basic tokenizer reproduces.
    /// </summary>
    private void TokenizeSegments(ReadOnlySpan<char> text, ref IdSink sink)
    {
        while (true)
        {
            int at = text.IndexOfAny(s_specialTokenSearch);
            var segment = at < 0 ? text : text[..at];
            if (!BasicTokenizer.Split(segment, lowerCaseEachCharacterFirst: true, ref sink) || at < 0) return;

            var rest = text[at..];
            int which = 0;
            while (!rest.StartsWith(SpecialTokenIds.Tokens[which], StringComparison.Ordinal)) which++;
            if (!sink.Append([_specialIdByIndex[which]])) return;
            text = rest[SpecialTokenIds.Tokens[which].Length..];
        }
    }

    /// <summary>Collects WordPiece ids of the words it receives, up to a limit, into a span or a growing pooled array.</summary>
    private ref struct IdSink : IWordSink
    {
        private readonly WordPieceTokenizer _wordPiece;
        private readonly Span<int> _pieces;
        private readonly long _longestWord;
        private readonly int _limit;
        private Span<int> _ids;

        public IdSink(WordPieceTokenizer wordPiece, Span<int> pieces, long longestWord, Span<int> ids, int[]? rented, int limit)
        {
            _wordPiece = wordPiece;
            _pieces = pieces;
            _longestWord = longestWord;
            _ids = ids;
            Rented = rented;
            _limit = limit;
        }

        /// <summary>The pooled array behind the ids when the sink may grow (null for a caller's span).</summary>
        public int[]? Rented { get; private set; }

        public int Count { get; private set; }

        public bool Accept(scoped ReadOnlySpan<char> word, bool neverSplit)
        {
            // A never-split word is a special token that surfaced only after clean-up; it is in the
            // vocabulary, so WordPiece returns its id whole, as Hugging Face's lookup does.
            if (word.Length > _longestWord)
            {
                // More UTF-16 chars than twice the code point limit: surely too long.
                return Append([_wordPiece.UnknownId]);
            }
            if (Count + word.Length <= Math.Min(_limit, _ids.Length))
            {
                // Room for the most pieces the word can have: write them in place.
                Count += _wordPiece.TokenizeToIds(word, _ids[Count..]);
                return Count < _limit;
            }
            if (word.Length <= _pieces.Length) return Append(_pieces[.._wordPiece.TokenizeToIds(word, _pieces)]);
            int[] wordPieces = ArrayPool<int>.Shared.Rent(word.Length);
            try { return Append(wordPieces.AsSpan(0, _wordPiece.TokenizeToIds(word, wordPieces))); }
            finally { ArrayPool<int>.Shared.Return(wordPieces); }
        }

        /// <summary>Appends ids up to the limit; false once the limit is reached.</summary>
        public bool Append(scoped ReadOnlySpan<int> ids)
        {
            int take = Math.Min(ids.Length, _limit - Count);
            if (Count + take > _ids.Length) Grow(Count + take);
            ids[..take].CopyTo(_ids[Count..]);
            Count += take;
            return Count < _limit;
        }

        private void Grow(int needed)
        {
            var old = Rented ?? throw new InvalidOperationException("the id buffer is full");
            var larger = ArrayPool<int>.Shared.Rent(Math.Max(needed, old.Length * 2));
            old.AsSpan(0, Count).CopyTo(larger);
            ArrayPool<int>.Shared.Return(old);
            Rented = larger;
            _ids = larger;
        }
    }
}
