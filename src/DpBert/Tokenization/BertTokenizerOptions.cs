using System.Text.Json;

namespace DpBert.Tokenization;

/// <summary>
/// How <see cref="BertTokenizer"/> normalises text; the keys of Hugging Face's <c>tokenizer_config.json</c>
/// that matter for a BERT WordPiece tokenizer. The defaults are Hugging Face's (uncased).
/// </summary>
public sealed record BertTokenizerOptions
{
    /// <summary>File name of the Hugging Face tokenizer configuration.</summary>
    public const string ConfigFileName = "tokenizer_config.json";

    /// <summary>Lower-case the text (<c>do_lower_case</c>); also strips accents unless <see cref="StripAccents"/> is false.</summary>
    public bool DoLowerCase { get; init; } = true;

    /// <summary>Strip accents (<c>strip_accents</c>); null follows <see cref="DoLowerCase"/>.</summary>
    public bool? StripAccents { get; init; }

    /// <summary>Make every CJK ideograph a word of its own (<c>tokenize_chinese_chars</c>).</summary>
    public bool TokenizeChineseChars { get; init; } = true;

    /// <summary>Words with more code points become <c>[UNK]</c> (<c>max_input_chars_per_word</c>).</summary>
    public int MaxInputCharsPerWord { get; init; } = 100;

    /// <summary>Longest input the model accepts (<c>model_max_length</c>), when the configuration gives a usable one.</summary>
    public int? ModelMaxLength { get; init; }

    /// <summary>bert-base-uncased style: lower-case and strip accents.</summary>
    public static BertTokenizerOptions Uncased { get; } = new();

    /// <summary>bert-base-cased style: keep case and accents.</summary>
    public static BertTokenizerOptions Cased { get; } = new() { DoLowerCase = false };

    /// <summary>
    /// Reads <c>tokenizer_config.json</c>. A missing file gives the defaults (do_lower_case = true), as
    /// Hugging Face's <c>from_pretrained</c> does.
    /// </summary>
    /// <exception cref="InvalidDataException">Invalid JSON or a key of the wrong type; the message names the file and key.</exception>
    /// <exception cref="NotSupportedException">A setting this tokenizer does not implement (named with its file and key).</exception>
    public static BertTokenizerOptions Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return File.Exists(path) ? Parse(File.ReadAllText(path), path) : new BertTokenizerOptions();
    }

    /// <summary>Parses <c>tokenizer_config.json</c> text; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Invalid JSON or a key of the wrong type.</exception>
    /// <exception cref="NotSupportedException">A setting this tokenizer does not implement.</exception>
    public static BertTokenizerOptions Parse(string json, string source = ConfigFileName)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try { document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true }); }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: invalid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{source}: expected a JSON object");

            var options = new BertTokenizerOptions
            {
                DoLowerCase = ReadBool(root, "do_lower_case", source) ?? true,
                StripAccents = ReadBool(root, "strip_accents", source),
                TokenizeChineseChars = ReadBool(root, "tokenize_chinese_chars", source) ?? true,
                MaxInputCharsPerWord = ReadInt(root, "max_input_chars_per_word", source) ?? 100,
                ModelMaxLength = ReadInt(root, "model_max_length", source, hugeMeansNone: true),
            };
            if (options.MaxInputCharsPerWord <= 0)
                throw new InvalidDataException($"{source}: \"max_input_chars_per_word\" = {options.MaxInputCharsPerWord} must be positive");

            if (ReadBool(root, "do_basic_tokenize", source) == false)
                throw new NotSupportedException($"{source}: \"do_basic_tokenize\": false is not supported (the basic tokenizer always runs)");
            if (root.TryGetProperty("never_split", out var neverSplit)
                && neverSplit.ValueKind is not JsonValueKind.Null && !(neverSplit.ValueKind == JsonValueKind.Array && neverSplit.GetArrayLength() == 0))
                throw new NotSupportedException($"{source}: \"never_split\" is not supported (only the five special tokens are kept whole)");
            RequireStandardToken(root, "unk_token", "[UNK]", source);
            RequireStandardToken(root, "sep_token", "[SEP]", source);
            RequireStandardToken(root, "pad_token", "[PAD]", source);
            RequireStandardToken(root, "cls_token", "[CLS]", source);
            RequireStandardToken(root, "mask_token", "[MASK]", source);
            return options;
        }
    }

    /// <summary>A true/false/null setting; null when absent. The error names <paramref name="source"/> and <paramref name="key"/>.</summary>
    internal static bool? ReadBool(JsonElement root, string key, string source)
    {
        if (!root.TryGetProperty(key, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Null => null,
            _ => throw new InvalidDataException($"{source}: \"{key}\" must be true, false or null, got {value.GetRawText()}"),
        };
    }

    private static int? ReadInt(JsonElement root, string key, string source, bool hugeMeansNone = false)
    {
        if (!root.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind == JsonValueKind.Number)
        {
            if (value.TryGetInt32(out int number)) return number;
            // transformers writes int(1e30) when a model has no length limit.
            if (hugeMeansNone && value.TryGetDouble(out double big) && big > int.MaxValue) return null;
        }
        throw new InvalidDataException($"{source}: \"{key}\" must be an integer, got {value.GetRawText()}");
    }

    private static void RequireStandardToken(JsonElement root, string key, string expected, string source)
    {
        if (!root.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null) return;
        // Newer transformers write added tokens as objects: {"content": "[UNK]", ...}.
        var content = value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out var c) ? c : value;
        if (content.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{source}: \"{key}\" must be a string, got {value.GetRawText()}");
        if (content.GetString() != expected)
            throw new NotSupportedException($"{source}: \"{key}\" = \"{content.GetString()}\" is not supported (BERT's {expected} expected)");
    }
}
