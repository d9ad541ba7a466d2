using System.Text.Json;
using System.Text.Json.Nodes;

namespace DpBert.Checkpoints;

/// <summary>How token vectors become one sentence vector.</summary>
public enum EmbeddingPooling
{
    /// <summary>The last hidden state of the first token ([CLS]); not BERT's pooler.</summary>
    Cls,
    /// <summary>The mean of the last hidden states over the tokens the attention mask keeps (padding excluded).</summary>
    Mean,
    /// <summary>No pooling: every token's last hidden state.</summary>
    None,
}

/// <summary>
/// The sentence-transformers settings of a model folder: pooling, L2 normalisation and the longest input. Read from and
/// written as sentence-transformers lays them out: <c>modules.json</c> lists the modules (a <c>Pooling</c> module's folder
/// holds <c>config.json</c> with <c>pooling_mode_cls_token</c> / <c>pooling_mode_mean_tokens</c>; a <c>Normalize</c> module
/// means L2 normalisation) and <c>sentence_bert_config.json</c> gives <c>max_seq_length</c>.
/// </summary>
/// <param name="Pooling">How token vectors are pooled.</param>
/// <param name="Normalize">Whether the sentence vector is scaled to unit L2 norm.</param>
/// <param name="MaxSeqLength">Inputs are truncated to this many tokens (specials included); null: the model's limit.</param>
public sealed record SentenceEmbeddingSettings(EmbeddingPooling Pooling, bool Normalize, int? MaxSeqLength)
{
    /// <summary>The module list of a sentence-transformers folder.</summary>
    public const string ModulesFileName = "modules.json";
    /// <summary>The transformer module's settings (<c>max_seq_length</c>).</summary>
    public const string SentenceBertConfigFileName = "sentence_bert_config.json";
    private const string PoolingFolder = "1_Pooling", NormalizeFolder = "2_Normalize";
    private const string PoolingType = "sentence_transformers.models.Pooling", NormalizeType = "sentence_transformers.models.Normalize";

    /// <summary>The settings of a sentence-transformers folder, or null when it has no <c>modules.json</c>.</summary>
    /// <exception cref="InvalidDataException">A file is malformed; the message names it and the key.</exception>
    /// <exception cref="NotSupportedException">A pooling mode other than [CLS] or mean (named with its file).</exception>
    public static SentenceEmbeddingSettings? Read(string folder)
    {
        string modulesPath = Path.Combine(folder, ModulesFileName);
        if (!File.Exists(modulesPath)) return null;
        var modules = ParseJson(modulesPath) as JsonArray ?? throw new InvalidDataException($"{modulesPath}: expected a JSON array of modules");
        EmbeddingPooling pooling = EmbeddingPooling.None;
        bool normalize = false;
        foreach (var module in modules)
        {
            string? type = module?["type"]?.GetValue<string>();
            string path = module?["path"]?.GetValue<string>() ?? "";
            if (type == NormalizeType) normalize = true;
            if (type == PoolingType) pooling = ReadPooling(Path.Combine(folder, path, "config.json"));
        }
        int? maxSeqLength = null;
        string bertConfig = Path.Combine(folder, SentenceBertConfigFileName);
        if (File.Exists(bertConfig) && ParseJson(bertConfig)?["max_seq_length"] is JsonValue max)
        {
            maxSeqLength = max.TryGetValue(out int n) && n > 1 ? n : throw new InvalidDataException($"{bertConfig}: \"max_seq_length\" = {max.ToJsonString()} must be an integer above 1");
        }
        return new SentenceEmbeddingSettings(pooling, normalize, maxSeqLength);
    }

    /// <summary>Writes <c>modules.json</c>, the pooling configuration and <c>sentence_bert_config.json</c> into <paramref name="folder"/>.</summary>
    /// <param name="folder">The model folder.</param>
    /// <param name="hiddenSize">The width of the token vectors (<c>word_embedding_dimension</c>).</param>
    public void Write(string folder, int hiddenSize)
    {
        var modules = new JsonArray { Module(0, "", "sentence_transformers.models.Transformer") };
        if (Pooling != EmbeddingPooling.None) modules.Add(Module(modules.Count, PoolingFolder, PoolingType));
        if (Normalize) modules.Add(Module(modules.Count, NormalizeFolder, NormalizeType));
        var indented = new JsonSerializerOptions { WriteIndented = true };
        File.WriteAllText(Path.Combine(folder, ModulesFileName), modules.ToJsonString(indented));
        if (Pooling != EmbeddingPooling.None)
        {
            Directory.CreateDirectory(Path.Combine(folder, PoolingFolder));
            var pooling = new JsonObject
            {
                ["word_embedding_dimension"] = hiddenSize,
                ["pooling_mode_cls_token"] = Pooling == EmbeddingPooling.Cls,
                ["pooling_mode_mean_tokens"] = Pooling == EmbeddingPooling.Mean,
                ["pooling_mode_max_tokens"] = false,
                ["pooling_mode_mean_sqrt_len_tokens"] = false,
            };
            File.WriteAllText(Path.Combine(folder, PoolingFolder, "config.json"), pooling.ToJsonString(indented));
        }
        if (Normalize) Directory.CreateDirectory(Path.Combine(folder, NormalizeFolder));
        var bert = new JsonObject { ["max_seq_length"] = MaxSeqLength, ["do_lower_case"] = false };
        File.WriteAllText(Path.Combine(folder, SentenceBertConfigFileName), bert.ToJsonString(indented));
    }

    private static JsonObject Module(int index, string path, string type) =>
        new() { ["idx"] = index, ["name"] = index.ToString(System.Globalization.CultureInfo.InvariantCulture), ["path"] = path, ["type"] = type };

    private static EmbeddingPooling ReadPooling(string path)
    {
        if (!File.Exists(path)) throw new InvalidDataException($"{path}: the pooling module's config.json is missing");
        var config = ParseJson(path) as JsonObject ?? throw new InvalidDataException($"{path}: expected a JSON object");
        bool On(string key) => config[key] is JsonValue v && v.TryGetValue(out bool b) && b;
        foreach (string other in new[] { "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken" })
            if (On(other)) throw new NotSupportedException($"{path}: \"{other}\" is not supported (only [CLS] and mean pooling)");
        if (On("pooling_mode_cls_token") && On("pooling_mode_mean_tokens"))
            throw new NotSupportedException($"{path}: concatenating [CLS] and mean pooling is not supported");
        if (On("pooling_mode_cls_token")) return EmbeddingPooling.Cls;
        if (On("pooling_mode_mean_tokens")) return EmbeddingPooling.Mean;
        throw new InvalidDataException($"{path}: no pooling mode is on");
    }

    private static JsonNode? ParseJson(string path)
    {
        try { return JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: invalid JSON: {e.Message}", e); }
    }
}
