using System.Text.Json;
using System.Text.Json.Serialization;

namespace DpBert.Bert;

/// <summary>
/// The shape and numerics of a BERT model, read from and written to a Hugging Face <c>config.json</c>
/// (snake_case keys). Unknown keys are kept in <see cref="Extra"/> so a round trip loses nothing.
/// </summary>
public sealed record BertConfig
{
    /// <summary>Number of WordPiece ids (rows of the word embedding).</summary>
    [JsonPropertyName("vocab_size")] public int VocabSize { get; init; } = 30522;
    /// <summary>Width H of every hidden state.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 768;
    /// <summary>Number of transformer layers L.</summary>
    [JsonPropertyName("num_hidden_layers")] public int NumHiddenLayers { get; init; } = 12;
    /// <summary>Attention heads per layer; must divide <see cref="HiddenSize"/>.</summary>
    [JsonPropertyName("num_attention_heads")] public int NumAttentionHeads { get; init; } = 12;
    /// <summary>Width of the feed-forward (intermediate) layer.</summary>
    [JsonPropertyName("intermediate_size")] public int IntermediateSize { get; init; } = 3072;
    /// <summary>Activation of the feed-forward layer; <c>gelu</c> (exact erf) is supported.</summary>
    [JsonPropertyName("hidden_act")] public string HiddenAct { get; init; } = "gelu";
    /// <summary>Dropout on hidden states (training only).</summary>
    [JsonPropertyName("hidden_dropout_prob")] public float HiddenDropoutProb { get; init; } = 0.1f;
    /// <summary>Dropout on attention probabilities (training only).</summary>
    [JsonPropertyName("attention_probs_dropout_prob")] public float AttentionProbsDropoutProb { get; init; } = 0.1f;
    /// <summary>Longest sequence the position embedding covers.</summary>
    [JsonPropertyName("max_position_embeddings")] public int MaxPositionEmbeddings { get; init; } = 512;
    /// <summary>Number of segment (token type) ids.</summary>
    [JsonPropertyName("type_vocab_size")] public int TypeVocabSize { get; init; } = 2;
    /// <summary>Standard deviation of the normal initialiser.</summary>
    [JsonPropertyName("initializer_range")] public float InitializerRange { get; init; } = 0.02f;
    /// <summary>Epsilon inside every LayerNorm.</summary>
    [JsonPropertyName("layer_norm_eps")] public float LayerNormEps { get; init; } = 1e-12f;
    /// <summary>Id of the padding token.</summary>
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    /// <summary>Only <c>absolute</c> position embeddings are supported.</summary>
    [JsonPropertyName("position_embedding_type")] public string PositionEmbeddingType { get; init; } = "absolute";
    /// <summary>Number of classifier outputs; 1 means regression (MSE), as in Hugging Face.</summary>
    [JsonPropertyName("num_labels")] public int? NumLabelsValue { get; init; }
    /// <summary>Label names by id, as Hugging Face writes them (<c>{"0": "negative"}</c>).</summary>
    [JsonPropertyName("id2label")] public Dictionary<string, string>? Id2Label { get; init; }
    /// <summary>Dropout before the classifier; null means <see cref="HiddenDropoutProb"/>.</summary>
    [JsonPropertyName("classifier_dropout")] public float? ClassifierDropout { get; init; }
    /// <summary>
    /// What the pooler reads (this project's key; Hugging Face ignores it): <c>cls</c>, the [CLS] row (Hugging Face's
    /// <c>BertPooler</c>, and the meaning when the key is absent), or <c>mean</c>, the mean of the input's real tokens, as
    /// sentence-transformers pools all-MiniLM-L6-v2. See <see cref="PoolerInput"/>.
    /// </summary>
    [JsonPropertyName("dpbert_pooler_input")] public string? PoolerInputName { get; init; }
    /// <summary>Every other key of the file, kept for a faithful round trip.</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; init; }

    /// <summary>Number of classifier outputs: <c>num_labels</c>, else the size of <c>id2label</c>, else 2.</summary>
    [JsonIgnore] public int NumLabels => NumLabelsValue ?? Id2Label?.Count ?? 2;
    /// <summary>Width of one attention head.</summary>
    [JsonIgnore] public int HeadSize => HiddenSize / NumAttentionHeads;
    /// <summary>What the pooler reads: <see cref="TokenPooling.Cls"/> unless <c>dpbert_pooler_input</c> says <c>mean</c>.</summary>
    [JsonIgnore] public TokenPooling PoolerInput => PoolerInputName == "mean" ? TokenPooling.Mean : TokenPooling.Cls;

    /// <summary>This configuration with a pooler reading <paramref name="input"/>; [CLS] leaves the key out, so the file stays Hugging Face's.</summary>
    public BertConfig WithPoolerInput(TokenPooling input) => this with { PoolerInputName = input == TokenPooling.Mean ? TokenPoolings.Name(input) : null };

    /// <summary>The label name of class <paramref name="id"/> (<c>LABEL_i</c> when the config has none).</summary>
    public string LabelName(int id) =>
        Id2Label is not null && Id2Label.TryGetValue(id.ToString(System.Globalization.CultureInfo.InvariantCulture), out var name)
            ? name : $"LABEL_{id}";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>Reads and validates a Hugging Face <c>config.json</c>.</summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON or a value is out of range; the message names the file and key.</exception>
    public static BertConfig Load(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (FileNotFoundException) { throw new FileNotFoundException($"{path}: config.json not found", path); }
        return Parse(text, path);
    }

    /// <summary>Parses and validates config JSON; <paramref name="source"/> names it in errors.</summary>
    public static BertConfig Parse(string json, string source = "config.json")
    {
        BertConfig? config;
        try { config = JsonSerializer.Deserialize<BertConfig>(json, JsonOptions); }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: invalid config JSON at {e.Path ?? "$"} (line {e.LineNumber + 1}): {e.Message}", e);
        }
        if (config is null) throw new InvalidDataException($"{source}: config is null");
        config.Validate(source);
        return config;
    }

    /// <summary>Serialises to Hugging Face <c>config.json</c> text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Writes <c>config.json</c>.</summary>
    public void Save(string path) => File.WriteAllText(path, ToJson());

    /// <summary>Checks every value; the exception names the key and the bad value.</summary>
    /// <exception cref="InvalidDataException">A value is out of range.</exception>
    public void Validate(string source = "config.json")
    {
        void Require(bool ok, string key, object value, string rule)
        {
            if (!ok) throw new InvalidDataException($"{source}: \"{key}\" = {value} is invalid: {rule}");
        }
        Require(VocabSize > 0, "vocab_size", VocabSize, "must be positive");
        Require(HiddenSize > 0, "hidden_size", HiddenSize, "must be positive");
        Require(NumHiddenLayers >= 0, "num_hidden_layers", NumHiddenLayers, "must not be negative");
        Require(NumAttentionHeads > 0, "num_attention_heads", NumAttentionHeads, "must be positive");
        Require(HiddenSize % NumAttentionHeads == 0, "num_attention_heads", NumAttentionHeads, $"must divide hidden_size {HiddenSize}");
        Require(IntermediateSize > 0, "intermediate_size", IntermediateSize, "must be positive");
        Require(HiddenAct is "gelu", "hidden_act", HiddenAct, "only \"gelu\" (exact erf GELU) is supported");
        Require(HiddenDropoutProb is >= 0 and < 1, "hidden_dropout_prob", HiddenDropoutProb, "must be in [0, 1)");
        Require(AttentionProbsDropoutProb is >= 0 and < 1, "attention_probs_dropout_prob", AttentionProbsDropoutProb, "must be in [0, 1)");
        Require(ClassifierDropout is null or (>= 0 and < 1), "classifier_dropout", ClassifierDropout!, "must be in [0, 1)");
        Require(MaxPositionEmbeddings > 0, "max_position_embeddings", MaxPositionEmbeddings, "must be positive");
        Require(TypeVocabSize > 0, "type_vocab_size", TypeVocabSize, "must be positive");
        // A float key read from a number too large for float32 (1e65) is infinity: refused here, not when written back.
        Require(float.IsFinite(LayerNormEps) && LayerNormEps > 0, "layer_norm_eps", LayerNormEps, "must be positive and finite");
        Require(float.IsFinite(InitializerRange) && InitializerRange >= 0, "initializer_range", InitializerRange, "must be non-negative and finite");
        Require(PadTokenId >= 0 && PadTokenId < VocabSize, "pad_token_id", PadTokenId, $"must be a vocabulary id below {VocabSize}");
        Require(PositionEmbeddingType == "absolute", "position_embedding_type", PositionEmbeddingType, "only \"absolute\" is supported");
        Require(NumLabels >= 1, "num_labels", NumLabels, "must be at least 1");
        Require(PoolerInputName is null or "cls" or "mean", "dpbert_pooler_input", $"\"{PoolerInputName}\"", "must be \"cls\" or \"mean\"");
        // The sizes must describe a model that can exist: its parameters live in one flat array (see ParameterSet).
        long? parameters = LargestParameterCount();
        if (parameters is null || parameters > Array.MaxLength)
            throw new InvalidDataException($"{source}: the model would have {(parameters is null ? "more than 2^63" : parameters.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))} " +
                $"parameters (vocab_size {VocabSize}, hidden_size {HiddenSize}, num_hidden_layers {NumHiddenLayers}, intermediate_size {IntermediateSize}, " +
                $"max_position_embeddings {MaxPositionEmbeddings}, type_vocab_size {TypeVocabSize}, num_labels {NumLabels}), more than one array holds");
    }

    /// <summary>
    /// Parameters of the larger of the two models built from this configuration (sequence classification, masked LM),
    /// counted as <see cref="BertParameterLayout"/> lays them out; null when the count overflows 64 bits.
    /// </summary>
    private long? LargestParameterCount()
    {
        try
        {
            checked
            {
                long h = HiddenSize, i = IntermediateSize, v = VocabSize, labels = NumLabels;
                long embeddings = (v + MaxPositionEmbeddings + TypeVocabSize) * h + 2 * h;
                long layer = 4 * (h * h + h) + 2 * h + (i * h + i) + (h * i + h) + 2 * h;
                long encoder = embeddings + NumHiddenLayers * layer;
                long classifier = (h * h + h) + (labels * h + labels);   // pooler, then classifier
                long maskedLm = (h * h + h) + 2 * h + v;                   // transform, its LayerNorm, decoder bias
                return encoder + Math.Max(classifier, maskedLm);
            }
        }
        catch (OverflowException) { return null; }
    }
}
