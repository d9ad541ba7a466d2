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
/// dev set (872 sentences) for the parity checks.
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
        Full = Checkpoints.ModelFolder.LoadSequenceClassifier(ModelFolder);
        DpBert = DpBertFolder.Load(DpBertFolderPath).Classifier;
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
