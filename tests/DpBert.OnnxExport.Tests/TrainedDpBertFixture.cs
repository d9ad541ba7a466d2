using DpBert.Checkpoints;
using DpBert.Cli;
using DpBert.Glue;
using DpBert.Planning;
using DpBert.Training;

namespace DpBert.OnnxExport.Tests;

/// <summary>
/// A small DPBERT model trained once for the test class through the command line, as a user would make one: a 4-layer,
/// hidden-128 BERT fine-tuned from scratch on 8,000 SST-2 sentences (<c>dpbert finetune</c>), then a planner trained jointly
/// with it (<c>dpbert plan</c>, rho 0.5), and DeeBERT and PABEE exit heads on it (<c>dpbert exits</c>). Also encodes the SST-2
/// dev set (872 sentences) for the parity checks. A second model reads the mean of the real tokens everywhere: the first
/// fine-tuned further with <c>--pooler-input mean</c>, with a planner (<c>--planner-input mean</c>) and exit heads
/// (<c>--head-input mean</c>) of its own.
/// </summary>
public sealed class TrainedDpBertFixture : IDisposable
{
    private readonly TempFolder _temp = new();

    public string ModelFolder { get; }
    public string DpBertFolderPath => Path.Combine(ModelFolder, "dpbert");
    public string ExitsFolder(string method) => Path.Combine(ModelFolder, method);
    public LoadedModel Full { get; }
    public DpBertClassifier DpBert { get; }
    public EncodedDataset Dev { get; }

    /// <summary>The model whose pooler, planner and exit heads read the mean of the real tokens.</summary>
    public string MeanModelFolder { get; }
    public LoadedModel MeanFull { get; }
    public DpBertClassifier MeanDpBert { get; }

    /// <summary>The model folder of <paramref name="reads"/> (<c>cls</c> or <c>mean</c>).</summary>
    public string ModelFolderReading(string reads) => reads == "mean" ? MeanModelFolder : ModelFolder;
    public LoadedModel FullReading(string reads) => reads == "mean" ? MeanFull : Full;
    public DpBertClassifier DpBertReading(string reads) => reads == "mean" ? MeanDpBert : DpBert;

    public TrainedDpBertFixture()
    {
        ModelFolder = Path.Combine(_temp.Path, "sst2");
        string glue = SharedFiles.GlueFolder, vocab = Path.Combine(SharedFiles.GoldenModelFolder, "vocab.txt");
        Cli("finetune", "--task", "sst2", "--model", "L4-H128", "--vocab", vocab, "--output", ModelFolder, "--data-dir", glue,
            "--max-train-samples", "8000", "--num-train-epochs", "2", "--max-seq-length", "32", "--learning-rate", "5e-4", "--warmup-ratio", "0.1",
            "--max-eval-samples", "200");
        Cli("plan", "--task", "sst2", "--model", ModelFolder, "--data-dir", glue, "--max-train-samples", "4000", "--max-eval-samples", "200",
            "--max-seq-length", "32", "--rho", "0.5", "--planner-learning-rate", "1e-2", "--backbone-learning-rate", "1e-4");
        foreach (string method in new[] { "deebert", "pabee" })
            Cli("exits", "--method", method, "--task", "sst2", "--model", ModelFolder, "--data-dir", glue, "--max-train-samples", "3000",
                "--max-seq-length", "32", "--head-learning-rate", "2e-3");
        MeanModelFolder = Path.Combine(_temp.Path, "sst2-mean");
        Cli("finetune", "--task", "sst2", "--model", ModelFolder, "--pooler-input", "mean", "--output", MeanModelFolder, "--data-dir", glue,
            "--max-train-samples", "2000", "--num-train-epochs", "1", "--max-seq-length", "32", "--learning-rate", "2e-4", "--max-eval-samples", "200");
        Cli("plan", "--task", "sst2", "--model", MeanModelFolder, "--data-dir", glue, "--max-train-samples", "2000", "--max-eval-samples", "200",
            "--max-seq-length", "32", "--rho", "0.5", "--planner-input", "mean", "--planner-learning-rate", "1e-2", "--backbone-learning-rate", "1e-4");
        foreach (string method in new[] { "deebert", "pabee" })
            Cli("exits", "--method", method, "--task", "sst2", "--model", MeanModelFolder, "--data-dir", glue, "--max-train-samples", "2000",
                "--max-seq-length", "32", "--head-learning-rate", "2e-3", "--head-input", "mean");
        Full = Checkpoints.ModelFolder.LoadSequenceClassifier(ModelFolder);
        DpBert = DpBertFolder.Load(DpBertFolderPath).Classifier;
        MeanFull = Checkpoints.ModelFolder.LoadSequenceClassifier(MeanModelFolder);
        MeanDpBert = DpBertFolder.Load(Path.Combine(MeanModelFolder, "dpbert")).Classifier;
        if (MeanFull.Config.PoolerInput != Bert.TokenPooling.Mean || MeanDpBert.Planner.Input != Bert.TokenPooling.Mean)
            throw new InvalidOperationException("the mean-pooled model does not read the mean: check the finetune and plan flags");
        var dev = GlueDataset.Load(GlueTask.Sst2, "dev", glue);
        Dev = new EncodedDataset(dev.Select(e => new LabeledExample(e.TextA, e.TextB, e.Label, e.Score)).ToList(), Full.Tokenizer, 64);
    }

    private static void Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        if (code != 0) throw new InvalidOperationException($"dpbert {string.Join(' ', args)} failed ({code}): {error}");
    }

    public void Dispose() => _temp.Dispose();
}

/// <summary>The test classes that share one <see cref="TrainedDpBertFixture"/> (trained once per test run).</summary>
[CollectionDefinition(Name)]
public sealed class TrainedDpBertCollection : ICollectionFixture<TrainedDpBertFixture>
{
    public const string Name = "trained DPBERT model";
}
