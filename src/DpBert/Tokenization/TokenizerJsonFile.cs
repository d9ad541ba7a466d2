using System.Text.Json;

namespace DpBert.Tokenization;

/// <summary>
/// Reads a Hugging Face fast-tokenizer file (<c>tokenizer.json</c>) of a BERT model: the WordPiece vocabulary
/// (<c>model.vocab</c>, token to id) and the <c>BertNormalizer</c> settings (<c>lowercase</c>,
/// <c>strip_accents</c>, <c>handle_chinese_chars</c>). Used when a model publishes no <c>vocab.txt</c>.
/// </summary>
public static class TokenizerJsonFile
{
    /// <summary>File name of the fast-tokenizer file.</summary>
    public const string FileName = "tokenizer.json";

    /// <summary>
    /// Loads <paramref name="path"/>; <paramref name="baseOptions"/> (from <c>tokenizer_config.json</c>) supplies
    /// what the file does not say, and the normalizer's settings replace its lower-casing, accents and CJK flags.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Invalid JSON, or a vocabulary whose ids are not 0..n-1; the message names the file and key.</exception>
    /// <exception cref="NotSupportedException">A model other than WordPiece, or a normalizer other than BertNormalizer.</exception>
    public static (WordPieceVocabulary Vocabulary, BertTokenizerOptions Options) Load(string path, BertTokenizerOptions? baseOptions = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: tokenizer file not found", path);
        JsonDocument document;
        byte[] bytes = File.ReadAllBytes(path);
        // The parser lets invalid UTF-8 inside strings through, and reading such a string later throws InvalidOperationException.
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new InvalidDataException($"{path}: not valid UTF-8");
        try { document = JsonDocument.Parse(bytes); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid JSON (line {e.LineNumber + 1}): {e.Message}", e); }
        using (document)
        {
            var root = document.RootElement;
            // Found by the tokenizer-json campaign: a file holding a bare number made TryGetProperty throw InvalidOperationException.
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: the file holds a JSON {root.ValueKind.ToString().ToLowerInvariant()}, not an object");
            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: no \"model\" object");
            string? type = ReadString(model, "type", "model.type", path);
            if (type != "WordPiece") throw new NotSupportedException($"{path}: \"model.type\" is \"{type}\"; only BERT's WordPiece is supported");
            string? prefix = ReadString(model, "continuing_subword_prefix", "model.continuing_subword_prefix", path);
            if (model.TryGetProperty("continuing_subword_prefix", out _) && prefix != "##")
                throw new NotSupportedException($"{path}: \"model.continuing_subword_prefix\" is \"{prefix}\"; only \"##\" is supported");
            if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: \"model.vocab\" must be an object of token to id");

            var tokens = new string?[vocab.EnumerateObject().Count()];
            foreach (var entry in vocab.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0 || id >= tokens.Length || tokens[id] is not null)
                    throw new InvalidDataException($"{path}: \"model.vocab\" token \"{entry.Name}\" has id {entry.Value.GetRawText()}; ids must be 0..{tokens.Length - 1}, each once");
                tokens[id] = entry.Name;
            }

            var options = baseOptions ?? new BertTokenizerOptions();
            if (model.TryGetProperty("max_input_chars_per_word", out var maxChars) && maxChars.ValueKind == JsonValueKind.Number && maxChars.TryGetInt32(out int max))
            {
                if (max <= 0) throw new InvalidDataException($"{path}: \"model.max_input_chars_per_word\" = {max} must be positive");
                options = options with { MaxInputCharsPerWord = max };
            }
            if (root.TryGetProperty("normalizer", out var normalizer) && normalizer.ValueKind == JsonValueKind.Object)
            {
                string? normalizerType = ReadString(normalizer, "type", "normalizer.type", path);
                if (normalizerType != "BertNormalizer")
                    throw new NotSupportedException($"{path}: \"normalizer.type\" is \"{normalizerType}\"; only BertNormalizer is supported");
                options = options with
                {
                    DoLowerCase = BertTokenizerOptions.ReadBool(normalizer, "lowercase", $"{path}: normalizer") ?? true,
                    StripAccents = BertTokenizerOptions.ReadBool(normalizer, "strip_accents", $"{path}: normalizer"),
                    TokenizeChineseChars = BertTokenizerOptions.ReadBool(normalizer, "handle_chinese_chars", $"{path}: normalizer") ?? true,
                };
            }
            return (WordPieceVocabulary.FromTokens(tokens!, path), options);
        }
    }

    /// <summary>A string (or null) property; absent reads as null, any other JSON value is an error naming the file and key.</summary>
    private static string? ReadString(JsonElement parent, string name, string key, string path)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString()
            : throw new InvalidDataException($"{path}: \"{key}\" must be a string, got {value.GetRawText()}");
    }
}
