using System.Text;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Tests.Checkpoints;
using DpBert.Tokenization;

namespace DpBert.Tests.Fuzz;

/// <summary>
/// Regression tests for what the fuzz harnesses (tests/DpBert.Fuzz) caught: each input here once made a reader throw
/// something other than its typed error, crash the process, or accept a file the loader could not go on with.
/// </summary>
public sealed class FuzzFindingsTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private const string SpecialVocabulary = "\"[PAD]\": 0, \"[UNK]\": 1, \"[CLS]\": 2, \"[SEP]\": 3, \"[MASK]\": 4";

    // Was InvalidOperationException (JsonElement.GetString / TryGetInt32 on another kind) or, for 0, an
    // ArgumentOutOfRangeException from the tokenizer's constructor that named neither file nor key.
    [Theory]
    [InlineData("{\"model\": {\"type\": 1, \"vocab\": {}}}", "model.type")]
    [InlineData("{\"model\": {\"type\": \"WordPiece\", \"continuing_subword_prefix\": 5, \"vocab\": {}}}", "model.continuing_subword_prefix")]
    [InlineData("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {" + SpecialVocabulary + "}}, \"normalizer\": {\"type\": []}}", "normalizer.type")]
    [InlineData("{\"model\": {\"type\": \"WordPiece\", \"max_input_chars_per_word\": 0, \"vocab\": {" + SpecialVocabulary + "}}}", "model.max_input_chars_per_word")]
    public void Tokenizer_json_values_of_the_wrong_kind_are_refused_naming_the_file_and_key(string json, string key)
    {
        File.WriteAllText(_temp.File(TokenizerJsonFile.FileName), json);
        var error = Assert.Throws<InvalidDataException>(() => BertTokenizer.FromFolder(_temp.Path));
        Assert.Contains(_temp.File(TokenizerJsonFile.FileName), error.Message, StringComparison.Ordinal);
        Assert.Contains($"\"{key}\"", error.Message, StringComparison.Ordinal);
    }

    // Found by a short tokenizer-json run: invalid UTF-8 inside a JSON string passed the parser and made reading the
    // string throw InvalidOperationException; a vocabulary id that is not a number threw it from TryGetInt32.
    [Theory]
    [InlineData("\"a\u0080\": 5", "not valid UTF-8")]                                 // the key's bytes are patched to a lone 0x80
    [InlineData("\"a\": \"5\"", "\"model.vocab\" token \"a\" has id \"5\"")]
    public void Tokenizer_json_with_invalid_utf8_or_a_non_number_id_is_refused_naming_the_file(string lastEntry, string expected)
    {
        byte[] json = Encoding.UTF8.GetBytes("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {" + SpecialVocabulary + ", " + lastEntry + "}}}");
        int patched = json.AsSpan().IndexOf([(byte)0xC2, (byte)0x80]); // U+0080 as UTF-8: drop the lead byte
        if (patched >= 0) json = [.. json[..patched], 0x80, .. json[(patched + 2)..]];
        string path = _temp.File(TokenizerJsonFile.FileName);
        File.WriteAllBytes(path, json);
        var error = Assert.Throws<InvalidDataException>(() => BertTokenizer.FromFolder(_temp.Path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    // A non-number max_input_chars_per_word is ignored as before (the default applies), not a crash.
    [Fact]
    public void Tokenizer_json_max_input_chars_per_word_that_is_not_a_number_keeps_the_default()
    {
        File.WriteAllText(_temp.File(TokenizerJsonFile.FileName),
            "{\"model\": {\"type\": \"WordPiece\", \"max_input_chars_per_word\": \"long\", \"vocab\": {" + SpecialVocabulary + "}}}");
        Assert.Equal(100, BertTokenizer.FromFolder(_temp.Path).Options.MaxInputCharsPerWord);
    }

    // Was a stack overflow (2 * max overflowed int, and stackalloc took the negative length) for values above 2^30, and an
    // 8 GB pooled buffer per call for 10^9: the pieces buffer followed the setting, not the text.
    [Theory]
    [InlineData(1_000_000_000)]
    [InlineData(1_500_000_000)]
    [InlineData(int.MaxValue)]
    public void Huge_max_input_chars_per_word_tokenizes_within_memory_the_text_needs(int maxChars)
    {
        File.Copy(Path.Combine(GoldenFiles.TinyModelFolder, BertTokenizer.VocabFileName), _temp.File(BertTokenizer.VocabFileName));
        File.WriteAllText(_temp.File(BertTokenizerOptions.ConfigFileName), $"{{\"max_input_chars_per_word\": {maxChars}}}");
        var huge = BertTokenizer.FromFolder(_temp.Path);
        var usual = BertTokenizer.FromVocabFile(_temp.File(BertTokenizer.VocabFileName));
        string text = "The quick brown fox, naïve café 你好 [SEP] unaffable.";
        string longWord = string.Concat(Enumerable.Repeat("abc", 200)); // 600 chars: [UNK] at the default 100

        huge.Encode(text + " " + longWord, "a pair", maxLength: 16); // first calls fill lazily built tables
        long before = GC.GetAllocatedBytesForCurrentThread();
        var tokens = huge.Tokenize(text);
        var longPieces = huge.Tokenize(longWord);
        var encoded = huge.Encode(text + " " + longWord, "a pair", maxLength: 16);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(usual.Tokenize(text), tokens);
        Assert.Equal(["[UNK]"], usual.Tokenize(longWord));
        // Within the larger limit the long word is split into vocabulary pieces that spell it, as WordPiece does.
        Assert.DoesNotContain("[UNK]", longPieces);
        Assert.Equal(longWord, string.Concat(longPieces.Select(p => p.StartsWith("##", StringComparison.Ordinal) ? p[2..] : p)));
        Assert.Equal(16, encoded.Length);
        Assert.True(allocated < 1 << 20, $"tokenizing allocated {allocated} bytes");
    }

    // Was accepted, then BertForSequenceClassification.CreateEmpty threw OverflowException (a tensor of more than 2^31
    // elements) or ParameterSet an ArgumentException, neither naming config.json.
    [Theory]
    [InlineData("\"vocab_size\": 100000, \"hidden_size\": 100000, \"num_attention_heads\": 1", "vocab_size 100000")]
    [InlineData("\"num_labels\": 2000000000", "num_labels 2000000000")]
    [InlineData("\"num_hidden_layers\": 2000000000", "num_hidden_layers 2000000000")]
    [InlineData("\"vocab_size\": 2147483647, \"hidden_size\": 2147483647, \"intermediate_size\": 2147483647, \"num_attention_heads\": 1", "more than 2^63")]
    public void Config_of_a_model_too_large_for_one_parameter_array_is_refused_naming_the_file(string sizes, string expected)
    {
        string path = _temp.File("config.json");
        File.WriteAllText(path, "{" + sizes + "}");
        var error = Assert.Throws<InvalidDataException>(() => BertConfig.Load(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    // The bound is the one ParameterSet has: the largest published BERT shapes stay accepted, and the count agrees with
    // the parameter table the model is built from.
    [Theory]
    [InlineData(30522, 1024, 24, 16, 4096)]   // bert-large
    [InlineData(119547, 768, 12, 12, 3072)]   // bert-base-multilingual
    public void Config_of_published_sizes_is_accepted(int vocab, int hidden, int layers, int heads, int intermediate)
    {
        var config = BertConfig.Parse($"{{\"vocab_size\": {vocab}, \"hidden_size\": {hidden}, \"num_hidden_layers\": {layers}, " +
            $"\"num_attention_heads\": {heads}, \"intermediate_size\": {intermediate}}}");
        long table = BertParameterLayout.SequenceClassification(config).Sum(p => p.Shape.Aggregate(1L, (a, d) => a * d));
        Assert.InRange(table, 100_000_000, Array.MaxLength);
    }

    // Was accepted and materialised: a 235-byte .bin whose tensor [500000000] has stride 0 over a one-element storage made
    // the reader allocate 2 GB for the copy (4 GB with the float32 conversion).
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Torch_view_repeating_elements_beyond_its_storage_is_refused_before_allocating(bool legacy)
    {
        var builder = new TorchZipBuilder()
            .AddRaw("w", "FloatStorage", 4, BitConverter.GetBytes(1f), [500_000_000], [0], 0, 1)
            .AddRaw("position_ids", "LongStorage", 8, new byte[64], [1, 8], [0, 1], 0, 8);
        string path = _temp.File("pytorch_model.bin");
        if (legacy) builder.SaveLegacy(path); else builder.Save(path);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("tensor \"w\" [500000000] with strides [0] has 500000000 elements, more than the 1 of its storage", error.Message, StringComparison.Ordinal);
    }

    // Found by the pytorch-legacy campaign: a state dict naming one key twice (SETITEMS with a repeated key) reached
    // ToDictionary and threw ArgumentException ("An item with the same key has already been added").
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Torch_state_dict_with_a_key_twice_is_refused_naming_the_file_and_key(bool legacy)
    {
        var builder = new TorchZipBuilder().AddFloat32("bias", [2], [1f, 2f]).AddFloat32("bias", [2], [3f, 4f]);
        string path = _temp.File("pytorch_model.bin");
        if (legacy) builder.SaveLegacy(path); else builder.Save(path);
        var error = Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("state dict key \"bias\" appears twice", error.Message, StringComparison.Ordinal);
    }

    // An expanded buffer that repeats only along a dimension of 1 (position_ids as transformers registers it) still loads.
    [Fact]
    public void Torch_buffer_expanded_along_a_dimension_of_one_still_loads()
    {
        byte[] positions = [.. Enumerable.Range(0, 8).SelectMany(i => BitConverter.GetBytes((long)i))];
        string path = _temp.File("pytorch_model.bin");
        new TorchZipBuilder().AddRaw("position_ids", "LongStorage", 8, positions, [1, 8], [0, 1], 0, 8).Save(path);
        using var file = CheckpointFile.Open(path);
        Assert.Equal([1L, 8L], file.Tensors.Single().Shape);
    }

    // The zip's directory announced data.pkl as 2 GB in an 1.8 KB file: the reader allocated 2 GB, then the zip stream
    // threw EndOfStreamException. A corrupt local header threw the zip reader's InvalidDataException, naming no file.
    // Found by the pytorch-zip campaign: an end-of-central-directory record counting more entries than the directory has
    // made ZipArchive.Entries throw its own InvalidDataException, naming no file.
    [Theory]
    [InlineData("length", "announces 2147418112 bytes")]
    [InlineData("local header", "archive/data.pkl")]
    [InlineData("entry count", "the zip's central directory is corrupt")]
    public void Corrupt_zip_directory_or_header_is_refused_naming_the_file_and_entry(string corruption, string expected)
    {
        string path = _temp.File("pytorch_model.bin");
        new TorchZipBuilder().AddFloat32("w", [2], [1f, 2f]).Save(path);
        byte[] bytes = File.ReadAllBytes(path);
        if (corruption == "length")
        {
            int central = bytes.AsSpan().IndexOf("PK\u0001\u0002"u8); // the first central directory record: archive/data.pkl
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(central + 24), 0x7fff0000);
        }
        else if (corruption == "entry count")
        {
            int end = bytes.AsSpan().LastIndexOf("PK\u0005\u0006"u8); // end of central directory: entries on this disk, in all
            bytes[end + 8]++;
            bytes[end + 10]++;
        }
        else bytes[1] = (byte)'X'; // the first local file header's signature
        File.WriteAllBytes(path, bytes);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<InvalidDataException>(() => CheckpointFile.Open(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    // A 404 EntryNotFound answer's X-Repo-Commit became a folder name unchecked: "../../../x" wrote refs/main and an empty
    // marker file outside the cache.
    [Fact]
    public void Absence_under_a_commit_that_is_not_a_plain_name_writes_nothing_outside_the_cache()
    {
        using var server = new FakeHubServer();
        const string escaping = "../../../escaped";
        server.AddRepo("org/tiny", escaping, new Dictionary<string, byte[]> { ["config.json"] = Encoding.UTF8.GetBytes("{}") }, []);
        string cache = _temp.File("deep/er/hub");
        using var client = new HubClient(new HubOptions { Endpoint = server.Endpoint, CacheDirectory = cache });

        Assert.Null(client.TryDownload("org/tiny", "missing.json"));

        Assert.All(Directory.EnumerateFiles(_temp.Path, "*", SearchOption.AllDirectories),
            file => Assert.StartsWith(cache + Path.DirectorySeparatorChar, file, StringComparison.Ordinal));
        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_temp.Path, "*", SearchOption.AllDirectories),
            path => path.Contains("escaped", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef01234567", "0123456789abcdef0123456789abcdef01234567")]
    [InlineData("  0123456789abcdef0123456789abcdef01234567 ", "0123456789abcdef0123456789abcdef01234567")]
    [InlineData("../../escaped", null)]
    [InlineData("a/b", null)]
    [InlineData("..", null)]
    [InlineData("", null)]
    public void Absence_commit_is_read_only_when_it_is_a_plain_name(string header, string? expected)
    {
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.NotFound);
        response.Headers.TryAddWithoutValidation("X-Repo-Commit", header);
        Assert.Equal(expected, HubFileMetadata.AbsenceCommit(response.Headers));
    }

    // Found by the config-json campaign: a float key holding a number beyond float32 (1e65) was read as infinity and
    // accepted; writing the configuration back (as every saved model folder does) then threw ArgumentException.
    [Theory]
    [InlineData("layer_norm_eps", "1e65")]
    [InlineData("initializer_range", "-1e65")]
    [InlineData("hidden_dropout_prob", "1e65")]
    public void Config_float_beyond_float32_is_refused_naming_the_file_and_key(string key, string value)
    {
        string path = _temp.File("config.json");
        File.WriteAllText(path, $"{{\"{key}\": {value}}}");
        var error = Assert.Throws<InvalidDataException>(() => BertConfig.Load(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains($"\"{key}\"", error.Message, StringComparison.Ordinal);
    }

    // Found by the tokenizer-json campaign: a file holding a bare number (or any JSON that is not an object) threw
    // InvalidOperationException from JsonElement.TryGetProperty.
    [Theory]
    [InlineData("5", "number")]
    [InlineData("[{\"model\": {}}]", "array")]
    [InlineData("\"model\"", "string")]
    public void Tokenizer_json_that_is_not_an_object_is_refused_naming_the_file(string json, string kind)
    {
        string path = _temp.File(TokenizerJsonFile.FileName);
        File.WriteAllText(path, json);
        var error = Assert.Throws<InvalidDataException>(() => BertTokenizer.FromFolder(_temp.Path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains($"holds a JSON {kind}, not an object", error.Message, StringComparison.Ordinal);
    }
}
