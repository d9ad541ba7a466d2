using System.Text.Json;
using DpBert.Checkpoints;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Tests.Checkpoints;

public sealed class ModelSourceTests : IDisposable
{
    private const string Commit = "fedcba9876543210fedcba9876543210fedcba98";
    private readonly TempFolder _temp = new();
    private readonly FakeHubServer _server = new();

    public void Dispose()
    {
        _server.Dispose();
        _temp.Dispose();
    }

    private HubOptions Hub => new() { Endpoint = _server.Endpoint, CacheDirectory = _temp.File("hub") };

    private static byte[] Golden(string name) => File.ReadAllBytes(Path.Combine(GoldenFiles.TinyModelFolder, name));

    /// <summary>The golden vocabulary as a fast-tokenizer file: WordPiece model, BertNormalizer.</summary>
    internal static byte[] TokenizerJson(bool lowercase)
    {
        var lines = File.ReadAllLines(Path.Combine(GoldenFiles.TinyModelFolder, "vocab.txt"));
        var document = new
        {
            version = "1.0",
            normalizer = new { type = "BertNormalizer", clean_text = true, handle_chinese_chars = true, strip_accents = (bool?)null, lowercase },
            model = new { type = "WordPiece", unk_token = "[UNK]", continuing_subword_prefix = "##", max_input_chars_per_word = 100, vocab = lines.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i) },
        };
        return JsonSerializer.SerializeToUtf8Bytes(document);
    }

    [Fact]
    public void HubIdWithOnlyPytorchBinAndTokenizerJsonLoadsAsTheGoldenFolder()
    {
        _server.AddRepo("org/tiny-a", Commit, new Dictionary<string, byte[]>
        {
            ["config.json"] = Golden("config.json"),
            ["tokenizer_config.json"] = Golden("tokenizer_config.json"),
            ["tokenizer.json"] = TokenizerJson(lowercase: true),
            ["pytorch_model.bin"] = Golden("pytorch_model.bin"),
        }, ["pytorch_model.bin"]);

        var loaded = ModelFolder.LoadSequenceClassifier("org/tiny-a", hub: Hub);
        var reference = ModelFolder.LoadSequenceClassifier(GoldenFiles.TinyModelFolder);
        Assert.Equal(Path.Combine(Hub.CacheDirectory, "models--org--tiny-a", "snapshots", Commit), loaded.Folder);
        Assert.Equal(reference.Model.Parameters.Data, loaded.Model.Parameters.Data);
        foreach (string text in new[] { "Héllo, WORLD! unaffable", "a man is playing a guitar" })
            Assert.Equal(reference.Tokenizer.Encode(text).InputIds, loaded.Tokenizer.Encode(text).InputIds);

        string noExist = Path.Combine(Hub.CacheDirectory, "models--org--tiny-a", ".no_exist", Commit);
        Assert.True(File.Exists(Path.Combine(noExist, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(noExist, "vocab.txt")));
        HubClientTests.AssertCacheConsistent(Hub.CacheDirectory);

        // Offline, the same id loads from the cache alone.
        int requests = _server.Requests.Count;
        var offline = ModelFolder.LoadSequenceClassifier("org/tiny-a", hub: Hub with { Offline = true });
        Assert.Equal(reference.Model.Parameters.Data, offline.Model.Parameters.Data);
        Assert.Equal(requests, _server.Requests.Count);

        // A cache without the absence markers (optional files never asked for): offline still finds what is there.
        Directory.Delete(Path.Combine(Hub.CacheDirectory, "models--org--tiny-a", ".no_exist"), recursive: true);
        var withoutMarkers = ModelFolder.LoadSequenceClassifier("org/tiny-a", hub: Hub with { Offline = true });
        Assert.Equal(reference.Model.Parameters.Data, withoutMarkers.Model.Parameters.Data);
        File.Delete(Path.Combine(loaded.Folder, "pytorch_model.bin"));
        var noWeights = Assert.Throws<FileNotFoundException>(() => ModelFolder.LoadSequenceClassifier("org/tiny-a", hub: Hub with { Offline = true }));
        Assert.Contains("org/tiny-a: the model has neither model.safetensors nor pytorch_model.bin in the cache (HF_HUB_OFFLINE is set)", noWeights.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FineTuningFromAHeadOfAnotherLabelCountReinitialisesItWithAWarning()
    {
        _server.AddRepo("sst2-model", Commit, new Dictionary<string, byte[]>
        {
            ["config.json"] = Golden("config.json"),
            ["vocab.txt"] = Golden("vocab.txt"),
            ["model.safetensors"] = Golden("model.safetensors"),
        }, ["model.safetensors"]);
        var init = ModelInitialization.ForSequenceClassification("sst2-model", ["entailment", "neutral", "contradiction"], null, new TrainingOptions(), Hub);
        Assert.Contains(init.Notes, n => n.StartsWith("warning: the checkpoint's classifier was trained for 2 labels, this task has 3", StringComparison.Ordinal));
        Assert.Contains(init.Notes, n => n.Contains("initialised as Hugging Face does: classifier.weight, classifier.bias", StringComparison.Ordinal));
        Assert.Equal(3, init.Model.Config.NumLabels);
        var reference = ModelFolder.LoadSequenceClassifier(GoldenFiles.TinyModelFolder);
        Assert.Equal(reference.Model.Parameters.Span("bert.pooler.dense.weight").ToArray(), init.Model.Parameters.Span("bert.pooler.dense.weight").ToArray());
    }

    [Fact]
    public void NeitherFolderNorHubModelSaysBoth()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => ModelSource.ResolveFolder("runs/no-such-run", Hub));
        Assert.Contains("runs/no-such-run: no such model folder; as a Hugging Face model id:", error.Message, StringComparison.Ordinal);
        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        var notAnId = Assert.Throws<DirectoryNotFoundException>(() => ModelSource.ResolveFolder("/definitely/not/here", Hub));
        Assert.Contains("not a Hugging Face model id either", notAnId.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CasedTokenizerJsonKeepsCase()
    {
        File.WriteAllBytes(_temp.File("tokenizer.json"), TokenizerJson(lowercase: false));
        var tokenizer = BertTokenizer.FromFolder(_temp.Path);
        Assert.False(tokenizer.Options.DoLowerCase);
        Assert.Equal(4096, tokenizer.Vocabulary.Count);

        File.WriteAllText(_temp.File("tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}");
        var error = Assert.Throws<NotSupportedException>(() => BertTokenizer.FromFolder(_temp.Path));
        Assert.Contains("\"model.type\" is \"BPE\"", error.Message, StringComparison.Ordinal);
    }
}
