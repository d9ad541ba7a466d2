using DpBert.Tokenization;

namespace DpBert.Tests.Tokenization;

public sealed class BertTokenizerTests
{
    private static readonly Lazy<BertTokenizer> s_uncased = new(() => BertTokenizer.FromVocabFile(
        Path.Combine(GoldenFiles.SharedFolder, "vocab", "bert-base-uncased", "vocab.txt")));

    private static BertTokenizer Uncased => s_uncased.Value;

    private static readonly string[] SmallVocab =
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "Hello", "world", "##s", ",", "!", ".", "do", "n", "'", "t"];

    private static string WriteFolder(TempFolder folder, string? tokenizerConfig)
    {
        File.WriteAllLines(folder.File("vocab.txt"), SmallVocab);
        if (tokenizerConfig is not null) File.WriteAllText(folder.File("tokenizer_config.json"), tokenizerConfig);
        return folder.Path;
    }

    [Fact]
    public void Folder_without_tokenizer_config_is_uncased_like_hugging_face()
    {
        using var folder = new TempFolder();
        var tokenizer = BertTokenizer.FromFolder(WriteFolder(folder, tokenizerConfig: null));
        Assert.True(tokenizer.Options.DoLowerCase);
        Assert.Equal(["hello", "world", "!"], tokenizer.Tokenize("Hello World!"));
    }

    [Fact]
    public void Cased_folder_stays_cased()
    {
        using var folder = new TempFolder();
        var tokenizer = BertTokenizer.FromFolder(WriteFolder(folder, """{"do_lower_case": false, "model_max_length": 512}"""));
        Assert.False(tokenizer.Options.DoLowerCase);
        Assert.Equal(512, tokenizer.Options.ModelMaxLength);
        Assert.Equal(["Hello", "[UNK]", "hello"], tokenizer.Tokenize("Hello World hello"));
    }

    [Fact]
    public void Tokenizer_config_keys_are_honoured()
    {
        var options = BertTokenizerOptions.Parse("""{"do_lower_case": true, "strip_accents": false, "tokenize_chinese_chars": false}""");
        Assert.Equal(new BertTokenizerOptions { DoLowerCase = true, StripAccents = false, TokenizeChineseChars = false }, options);

        using var folder = new TempFolder();
        File.WriteAllLines(folder.File("vocab.txt"), [.. SmallVocab, "caf\u00e9", "cafe", "\u4e2d\u6587", "\u4e2d", "\u6587"]);
        File.WriteAllText(folder.File("tokenizer_config.json"), """{"strip_accents": false, "tokenize_chinese_chars": false}""");
        var tokenizer = BertTokenizer.FromFolder(folder.Path);
        Assert.Equal(["caf\u00e9", "\u4e2d\u6587"], tokenizer.Tokenize("CAF\u00c9 \u4e2d\u6587"));
        Assert.Equal(["cafe", "\u4e2d", "\u6587"], BertTokenizer.FromVocabFile(folder.File("vocab.txt")).Tokenize("CAF\u00c9 \u4e2d\u6587"));
    }

    [Fact]
    public void Golden_model_folder_loads_with_its_config()
    {
        var tokenizer = BertTokenizer.FromFolder(GoldenFiles.TinyModelFolder);
        Assert.True(tokenizer.Options.DoLowerCase);
        Assert.Equal(64, tokenizer.Options.ModelMaxLength);
        Assert.Equal(4096, tokenizer.Vocabulary.Count);
        Assert.Equal([101, 1996, 102], tokenizer.Encode("The").InputIds);
    }

    [Theory]
    [InlineData("""{"do_lower_case": "yes"}""", "do_lower_case")]
    [InlineData("""{"strip_accents": 1}""", "strip_accents")]
    [InlineData("""{"tokenize_chinese_chars": []}""", "tokenize_chinese_chars")]
    [InlineData("""{"max_input_chars_per_word": "long"}""", "max_input_chars_per_word")]
    [InlineData("""{"do_lower_case": true,, }""", "invalid JSON")]
    public void Bad_tokenizer_config_names_the_file_and_key(string json, string expectedInMessage)
    {
        using var folder = new TempFolder();
        string path = WriteFolder(folder, json);
        var error = Assert.Throws<InvalidDataException>(() => BertTokenizer.FromFolder(path));
        Assert.Contains(folder.File("tokenizer_config.json"), error.Message);
        Assert.Contains(expectedInMessage, error.Message);
    }

    [Theory]
    [InlineData("""{"do_basic_tokenize": false}""", "do_basic_tokenize")]
    [InlineData("""{"never_split": ["foo"]}""", "never_split")]
    [InlineData("""{"unk_token": "<unk>"}""", "unk_token")]
    public void Unsupported_tokenizer_settings_are_refused_by_name(string json, string key)
    {
        using var folder = new TempFolder();
        string path = WriteFolder(folder, json);
        var error = Assert.Throws<NotSupportedException>(() => BertTokenizer.FromFolder(path));
        Assert.Contains(key, error.Message);
        Assert.Contains("tokenizer_config.json", error.Message);
    }

    [Fact]
    public void Folder_errors_name_what_is_missing()
    {
        using var folder = new TempFolder();
        Assert.Throws<DirectoryNotFoundException>(() => BertTokenizer.FromFolder(folder.File("nope")));
        var error = Assert.Throws<FileNotFoundException>(() => BertTokenizer.FromFolder(folder.Path));
        Assert.Contains("vocab.txt", error.Message);
    }

    [Fact]
    public void Pair_encoding_marks_segments()
    {
        var encoding = Uncased.Encode("hello", "world");
        Assert.Equal([101, 7592, 102, 2088, 102], encoding.InputIds);
        Assert.Equal([0, 0, 0, 1, 1], encoding.TokenTypeIds);
        Assert.Equal([1, 1, 1, 1, 1], encoding.AttentionMask);
        Assert.Equal(["[CLS]", "hello", "[SEP]", "world", "[SEP]"], encoding.Tokens);
    }

    [Fact]
    public void Truncation_needs_room_for_the_special_tokens()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Uncased.Encode("hello", maxLength: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Uncased.Encode("hello", "world", maxLength: 2));
        Assert.Equal([101, 102], Uncased.Encode("hello world", maxLength: 2).InputIds);
        Assert.Equal([101, 102, 102], Uncased.Encode("hello", "world", maxLength: 3).InputIds);
        Assert.Throws<ArgumentException>(() => Uncased.EncodeToIds("hello", new int[1]));
        var ids = new int[2];
        Assert.Equal(2, Uncased.EncodeToIds("hello world", ids));
        Assert.Equal([101, 102], ids);
    }

    [Fact]
    public void Capped_segments_truncate_exactly_like_hugging_face_longest_first()
    {
        // The tokenizer stops each segment at the budget before truncating; that must not change the result
        // of Hugging Face's loop over the full lengths (remove from the longer, from the second on a tie).
        for (int budget = 0; budget <= 12; budget++)
        {
            for (int a = 0; a <= 16; a++)
            {
                for (int b = 0; b <= 16; b++)
                {
                    var (refA, refB) = HuggingFaceLongestFirst(a, b, budget);
                    int cappedA = Math.Min(a, budget), cappedB = Math.Min(b, budget);
                    BertTokenizer.TruncateLongestFirst(ref cappedA, ref cappedB, budget);
                    Assert.True((refA, refB) == (cappedA, cappedB), $"budget {budget}, lengths ({a}, {b}): expected ({refA}, {refB}), got ({cappedA}, {cappedB})");
                }
            }
        }
    }

    private static (int, int) HuggingFaceLongestFirst(int a, int b, int budget)
    {
        var first = Enumerable.Range(0, a).ToList();
        var second = Enumerable.Range(0, b).ToList();
        int toRemove = a + b - budget;
        for (int i = 0; i < toRemove; i++)
        {
            if (first.Count > second.Count) first.RemoveAt(first.Count - 1);
            else if (second.Count > 0) second.RemoveAt(second.Count - 1);
        }
        return (first.Count, second.Count);
    }

    [Fact]
    public void Batch_is_padded_to_the_longest_row_with_masks_and_segment_ids()
    {
        string[] texts = ["hello world", "a", "the quick brown fox jumps"];
        var batch = Uncased.EncodeBatch(texts);
        var rows = texts.Select(t => Uncased.Encode(t)).ToArray();
        int seq = rows.Max(r => r.Length);
        Assert.Equal(3, batch.BatchSize);
        Assert.Equal(seq, batch.SequenceLength);
        Assert.Equal(3 * seq, batch.InputIds.Length);
        Assert.Equal(rows.Select(r => r.Length), batch.Lengths);
        for (int b = 0; b < texts.Length; b++)
        {
            int pad = seq - rows[b].Length;
            Assert.Equal([.. rows[b].InputIds, .. Enumerable.Repeat(0, pad)], batch.InputIdsOf(b).ToArray());
            Assert.Equal([.. rows[b].AttentionMask, .. Enumerable.Repeat(0, pad)], batch.AttentionMaskOf(b).ToArray());
            Assert.Equal(Enumerable.Repeat(0, seq), batch.TokenTypeIdsOf(b).ToArray());
        }
    }

    [Fact]
    public void Batch_of_pairs_keeps_segment_ids_truncation_and_can_pad_to_max_length()
    {
        string[] a = ["hello", "a much longer first sentence than the second one"];
        string[] b = ["world peace", "short"];
        var batch = Uncased.EncodeBatch(a, b, maxLength: 10, padToMaxLength: true);
        Assert.Equal(10, batch.SequenceLength);
        for (int row = 0; row < 2; row++)
        {
            var expected = Uncased.Encode(a[row], b[row], maxLength: 10);
            int pad = 10 - expected.Length;
            Assert.Equal([.. expected.InputIds, .. Enumerable.Repeat(0, pad)], batch.InputIdsOf(row).ToArray());
            Assert.Equal([.. expected.TokenTypeIds, .. Enumerable.Repeat(0, pad)], batch.TokenTypeIdsOf(row).ToArray());
            Assert.Equal([.. expected.AttentionMask, .. Enumerable.Repeat(0, pad)], batch.AttentionMaskOf(row).ToArray());
        }
        Assert.Equal([101, 7592, 102, 2088, 3521, 102, 0, 0, 0, 0], batch.InputIdsOf(0).ToArray());
        Assert.Equal([0, 0, 0, 1, 1, 1, 0, 0, 0, 0], batch.TokenTypeIdsOf(0).ToArray());
        Assert.Equal([101, 1037, 2172, 2936, 2034, 6251, 102, 2460, 102], Uncased.Encode(a[1], b[1], maxLength: 9).InputIds);

        Assert.Throws<ArgumentException>(() => Uncased.EncodeBatch(a, ["one"]));
        Assert.Throws<ArgumentException>(() => Uncased.EncodeBatch(a, padToMaxLength: true));
        var empty = Uncased.EncodeBatch([]);
        Assert.Equal((0, 0), (empty.BatchSize, empty.SequenceLength));
    }

    [Fact]
    public void Decode_joins_pieces_and_cleans_up_spaces_like_hugging_face()
    {
        var tokenizer = new BertTokenizer(WordPieceVocabulary.FromTokens(SmallVocab));
        string[] tokens = ["[CLS]", "hello", "##s", "world", ",", "do", "n", "'", "t", "!", "[SEP]", "[PAD]"];
        int[] ids = [.. tokens.Select(tokenizer.Vocabulary.GetId)];
        Assert.Equal("[CLS] hellos world, don't! [SEP] [PAD]", tokenizer.Decode(ids));
        Assert.Equal("hellos world, don't!", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("hello [UNK].", tokenizer.Decode([5, 9999, 11], skipSpecialTokens: true));
        Assert.Equal("", tokenizer.Decode([], skipSpecialTokens: true));
        Assert.Equal("##s", tokenizer.Decode([8]));
    }

    [Fact]
    public void Decode_round_trips_ordinary_uncased_text()
    {
        var encoding = Uncased.Encode("The movie wasn't bad, was it? I'd say it's great!");
        Assert.Equal("the movie wasn't bad, was it? i'd say it's great!", Uncased.Decode(encoding.InputIds, skipSpecialTokens: true));
    }

    [Fact]
    public void Span_apis_stop_when_full_and_match_the_allocating_ones()
    {
        const string text = "The quick brown fox jumps over the lazy dog, unbelievably [MASK] fast.";
        int[] all = Uncased.TokenizeToIds(text);
        for (int room = 0; room <= all.Length + 2; room++)
        {
            var ids = new int[room];
            int count = Uncased.TokenizeToIds(text, ids);
            Assert.Equal(all.Take(room), ids[..count]);
        }
        Assert.Equal(Uncased.Encode(text, maxLength: 8).InputIds, Uncased.Encode(text).InputIds.Take(7).Append(102));
    }

    [Fact]
    public void Tokenizer_is_safe_to_share_between_threads()
    {
        string[] texts = [.. Enumerable.Range(0, 200).Select(i => $"Sentence number {i}: caf\u00e9 \u4e2d\u6587 [SEP] ok!")];
        var expected = texts.Select(t => Uncased.TokenizeToIds(t)).ToArray();
        var actual = new int[texts.Length][];
        Parallel.For(0, texts.Length, i => actual[i] = Uncased.TokenizeToIds(texts[i]));
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], actual[i]);
    }
}
