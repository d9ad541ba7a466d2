using System.Text.Json;
using DpBert.Tokenization;

namespace DpBert.Fuzz.Targets;

/// <summary>
/// <c>tokenizer.json</c> in a model folder without <c>vocab.txt</c>: <see cref="BertTokenizer.FromFolder"/> reads it with
/// <see cref="TokenizerJsonFile.Load"/>, then the tokenizer is used. Typed errors: <see cref="InvalidDataException"/> and
/// <see cref="NotSupportedException"/> (another model or normalizer type), naming the file.
/// </summary>
public sealed class TokenizerJsonTarget : FuzzTarget
{
    public override string Name => "tokenizer-json";

    public override string Description => "tokenizer.json: BertTokenizer.FromFolder (no vocab.txt), then tokenize and encode";

    protected override string FileName => TokenizerJsonFile.FileName;

    protected override void Read(ReadOnlySpan<byte> input, string path) =>
        TokenizerUse.Exercise(BertTokenizer.FromFolder(Path.GetDirectoryName(path)!));

    protected override bool IsTypedError(Exception error) => error is InvalidDataException or NotSupportedException;

    public override IEnumerable<FuzzSeed> Seeds()
    {
        // Slices of the golden vocabulary in the layout `tokenizers` writes (the reader looks at model and normalizer).
        string[] lines = File.ReadAllLines(Path.Combine(SeedFiles.TinyModelFolder, BertTokenizer.VocabFileName));
        string[] head = lines.Take(110).ToArray();
        string[] withPieces = [.. SeedFiles.SpecialTokens.Concat(lines.Where(l => l.StartsWith("##", StringComparison.Ordinal)).Take(40)).Concat(lines.Skip(3000).Take(40)).Distinct()];
        yield return new("golden-head-uncased", Document(head, lowercase: true, full: true));
        yield return new("golden-pieces-cased", Document(withPieces, lowercase: false, full: false));
    }

    private static byte[] Document(string[] tokens, bool lowercase, bool full)
    {
        var vocab = tokens.Select((token, id) => (token, id)).ToDictionary(x => x.token, x => x.id);
        object model = new { type = "WordPiece", unk_token = "[UNK]", continuing_subword_prefix = "##", max_input_chars_per_word = 100, vocab };
        object normalizer = new { type = "BertNormalizer", clean_text = true, handle_chinese_chars = true, strip_accents = (bool?)null, lowercase };
        return full
            ? JsonSerializer.SerializeToUtf8Bytes(new
            {
                version = "1.0", truncation = (object?)null, padding = (object?)null,
                added_tokens = new[] { new { id = 0, content = "[PAD]", single_word = false, lstrip = false, rstrip = false, normalized = false, special = true } },
                normalizer, pre_tokenizer = new { type = "BertPreTokenizer" }, decoder = new { type = "WordPiece", prefix = "##", cleanup = true }, model,
            })
            : JsonSerializer.SerializeToUtf8Bytes(new { version = "1.0", normalizer, model });
    }
}
