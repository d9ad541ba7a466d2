using System.Security.Cryptography;
using DpBert.Bert;
using DpBert.Checkpoints;

namespace DpBert.Benchmarks;

/// <summary>
/// Load time of a BERT-base-sized <c>model.safetensors</c> (random weights written here, 110 M parameters, 438 MB)
/// from a warm Hugging Face cache: the file sits in <c>blobs/</c> behind a <c>snapshots/</c> symlink, as a download
/// leaves it, and is resolved offline by model id. Two figures: the weights alone into an existing model, and the
/// whole <see cref="ModelFolder.LoadSequenceClassifier"/> by id (resolve, config, allocate, load, tokenizer).
/// </summary>
internal static class CheckpointLoadBenchmark
{
    private const string RepoId = "bench/bert-base-random";
    private const string Commit = "0000000000000000000000000000000000000001";

    public static void Run()
    {
        string cache = Path.Combine(Path.GetTempPath(), "dpbert-load-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (shape, config) = (BertBenchmark.Shapes["base"], default(BertConfig));
            config = new BertConfig { NumHiddenLayers = shape.Layers, HiddenSize = shape.Hidden, NumAttentionHeads = shape.Heads, IntermediateSize = shape.Intermediate, NumLabelsValue = 2 };
            var source = BertForSequenceClassification.CreateEmpty(config);
            BertInitializer.Initialize(source.Parameters, config, seed: 1);
            long bytes = WriteCachedModel(cache, config, source.Parameters);
            var hub = new HubOptions { CacheDirectory = cache, Offline = true, Endpoint = "http://127.0.0.1:9" };

            // Correctness first: the cached file loads back exactly.
            var target = BertForSequenceClassification.CreateEmpty(config);
            using (var client = new HubClient(hub)) ParameterCheckpoint.Load(target.Parameters, client.Download(RepoId, "model.safetensors"));
            if (!source.Parameters.Data.AsSpan().SequenceEqual(target.Parameters.Data)) throw new InvalidOperationException("the cached checkpoint did not load back exactly");

            var weightsOnly = Timing.Measure(() =>
            {
                using var client = new HubClient(hub);
                ParameterCheckpoint.Load(target.Parameters, client.Download(RepoId, "model.safetensors"));
            }, warmup: 2, minRuns: 10, minSeconds: 3);
            // Each whole load allocates a fresh 438 MB model: collect the previous one outside the timed region,
            // so the figure is what a process pays to load a model, not the collection of the last one.
            LoadedModel? previous = null;
            var wholeModel = Timing.Measure(() => previous = ModelFolder.LoadSequenceClassifier(RepoId, hub: hub), warmup: 2, minRuns: 5, minSeconds: 3,
                beforeEach: () => { previous = null; GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect(); });
            GC.KeepAlive(previous);

            Console.WriteLine($"checkpoint load, BERT-base safetensors ({bytes / 1e6:F0} MB, {config.NumHiddenLayers} layers), warm Hugging Face cache, offline by id:");
            Console.WriteLine($"  weights into an existing model   median {weightsOnly.MedianMs,8:F1} ms  (p10 {weightsOnly.P10Ms:F1}, p90 {weightsOnly.P90Ms:F1}, {weightsOnly.Runs} runs; {bytes / 1e6 / (weightsOnly.MedianMs / 1000):F0} MB/s)");
            Console.WriteLine($"  ModelFolder.LoadSequenceClassifier median {wholeModel.MedianMs,6:F1} ms  (p10 {wholeModel.P10Ms:F1}, p90 {wholeModel.P90Ms:F1}, {wholeModel.Runs} runs)");
            BenchmarkProgram.Report(new { benchmark = "load", model = "bert-base", bytes, weights_ms = weightsOnly.MedianMs, model_ms = wholeModel.MedianMs });
        }
        finally
        {
            if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
        }
    }

    /// <summary>Lays the model out as a finished download: blobs named by hash, snapshot symlinks, refs/main.</summary>
    private static long WriteCachedModel(string cache, BertConfig config, ParameterSet parameters)
    {
        string repo = Path.Combine(cache, "models--" + RepoId.Replace("/", "--", StringComparison.Ordinal));
        string blobs = Path.Combine(repo, "blobs"), snapshot = Path.Combine(repo, "snapshots", Commit);
        Directory.CreateDirectory(blobs);
        Directory.CreateDirectory(snapshot);
        Directory.CreateDirectory(Path.Combine(repo, "refs"));
        File.WriteAllText(Path.Combine(repo, "refs", "main"), Commit);

        string staging = Path.Combine(cache, "staging");
        Directory.CreateDirectory(staging);
        ParameterCheckpoint.Save(parameters, Path.Combine(staging, "model.safetensors"));
        config.Save(Path.Combine(staging, "config.json"));
        File.WriteAllLines(Path.Combine(staging, "vocab.txt"),
            ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. Enumerable.Range(0, config.VocabSize - 5).Select(i => $"tok{i}")]);
        foreach (string file in Directory.GetFiles(staging))
        {
            string hash;
            using (var stream = File.OpenRead(file)) hash = Convert.ToHexStringLower(SHA256.HashData(stream));
            File.Move(file, Path.Combine(blobs, hash));
            File.CreateSymbolicLink(Path.Combine(snapshot, Path.GetFileName(file)), "../../blobs/" + hash);
        }
        Directory.Delete(staging);
        return new FileInfo(Path.Combine(snapshot, "model.safetensors")).ResolveLinkTarget(returnFinalTarget: true) is FileInfo blob ? blob.Length : 0;
    }
}
