using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Tokenization;
using DpBert.Training;

namespace DpBert.Tests.Training;

/// <summary>The training loop: learning, faithful logs, checkpoints, exact resumption, cancellation, bad knobs.</summary>
public class TrainerTests
{
    private static readonly BertTokenizer Tokenizer = BertTokenizer.FromFolder(GoldenFiles.TinyModelFolder);

    private static BertConfig TinyConfig(float dropout = 0.1f) => new()
    {
        VocabSize = Tokenizer.Vocabulary.Count, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 64,
        MaxPositionEmbeddings = 32, HiddenDropoutProb = dropout, AttentionProbsDropoutProb = dropout, NumLabelsValue = 2,
    };

    /// <summary>A toy sentiment task: the label is whether "good" or "bad" appears, among filler words.</summary>
    private static List<LabeledExample> ToyTask(int count, int seed)
    {
        string[] filler = ["the", "movie", "was", "a", "very", "story", "and", "it", "film", "really"];
        var rng = new Random(seed);
        var examples = new List<LabeledExample>();
        for (int i = 0; i < count; i++)
        {
            int label = rng.Next(2);
            var words = Enumerable.Range(0, rng.Next(3, 9)).Select(_ => filler[rng.Next(filler.Length)]).ToList();
            words.Insert(rng.Next(words.Count + 1), label == 1 ? "good" : "bad");
            examples.Add(new LabeledExample(string.Join(' ', words), null, label));
        }
        return examples;
    }

    private static IReadOnlyDictionary<string, double> Accuracy(EncodedDataset data, EvaluationOutput output) =>
        new Dictionary<string, double> { ["accuracy"] = Enumerable.Range(0, data.Count).Average(i => output.PredictedLabels[i] == data.Labels[i] ? 1.0 : 0.0) };

    private static BertForSequenceClassification NewModel(BertConfig config, int seed = 1)
    {
        var model = BertForSequenceClassification.CreateEmpty(config);
        BertInitializer.Initialize(model.Parameters, config, seed);
        return model;
    }

    [Fact]
    public void Learns_a_toy_task_and_writes_a_loadable_model()
    {
        using var temp = new TempFolder();
        var train = new EncodedDataset(ToyTask(256, 1), Tokenizer, 16);
        var eval = new EncodedDataset(ToyTask(64, 2), Tokenizer, 16);
        var model = NewModel(TinyConfig());
        var options = new TrainingOptions { NumTrainEpochs = 6, PerDeviceTrainBatchSize = 16, LearningRate = 2e-3, WarmupRatio = 0.1 };
        var events = new List<TrainingProgress>();
        var result = new Trainer(model, Tokenizer, options).Train(train, eval, Accuracy, "accuracy", temp.Path, new SyncProgress<TrainingProgress>(events.Add));

        Assert.Equal(6 * 16, result.Steps);
        Assert.True(result.BestMetrics!["accuracy"] >= 0.95, $"accuracy {result.BestMetrics["accuracy"]}");
        Assert.Contains(events, e => e.Kind == TrainingEventKind.Evaluation);
        Assert.Contains(events, e => e.Kind == TrainingEventKind.Checkpoint);
        Assert.True(events.Last(e => e.Kind == TrainingEventKind.Step).Loss < events.First(e => e.Kind == TrainingEventKind.Step).Loss);
        // The output folder is a model folder the CLI and TextClassifier load.
        var loaded = ModelFolder.LoadSequenceClassifier(temp.Path);
        var reEval = EvaluationOutput.Predict(loaded.Model, eval, options.PerDeviceEvalBatchSize);
        Assert.Equal(result.BestMetrics["accuracy"], Accuracy(eval, reEval)["accuracy"]);
    }

    [Fact]
    public void Training_log_records_the_loss_each_step_saw_and_the_linear_schedule()
    {
        // Dropout 0 and file order: the loss of step k is a pure function of the weights after k-1 steps.
        var examples = ToyTask(48, 3);
        var train = new EncodedDataset(examples, Tokenizer, 16);
        var options = new TrainingOptions { MaxSteps = 4, PerDeviceTrainBatchSize = 12, LearningRate = 1e-3, WarmupSteps = 2, Shuffle = false };
        using var temp = new TempFolder();
        var weightsAfter = new List<BertForSequenceClassification>();
        for (int steps = 0; steps <= 3; steps++)
        {
            var model = NewModel(TinyConfig(dropout: 0));
            if (steps > 0)
                new Trainer(model, Tokenizer, options with { MaxSteps = steps }).Train(train, null, Accuracy, "accuracy", Path.Combine(temp.Path, $"s{steps}"));
            weightsAfter.Add(model);
        }
        string full = Path.Combine(temp.Path, "full");
        new Trainer(NewModel(TinyConfig(dropout: 0)), Tokenizer, options).Train(train, null, Accuracy, "accuracy", full);
        var log = TrainingLog.Read(Path.Combine(full, TrainingLog.FileName)).Where(r => r.ContainsKey("loss")).ToList();
        Assert.Equal(4, log.Count);
        for (int k = 0; k < 4; k++)
        {
            // Batch k in file order, evaluated with the weights after k steps, loss recomputed here in double.
            var batch = new EncodedDataset(examples.Skip(12 * k).Take(12).ToList(), Tokenizer, 16);
            var logits = weightsAfter[k].Forward(batch.Batch(Enumerable.Range(0, 12).ToArray()));
            double expected = Enumerable.Range(0, 12).Average(r =>
            {
                double a = logits[2 * r], b = logits[2 * r + 1], max = Math.Max(a, b);
                return Math.Log(Math.Exp(a - max) + Math.Exp(b - max)) + max - logits[2 * r + batch.Labels[r]];
            });
            Assert.Equal(expected, log[k]["loss"].GetDouble(), 4);
            Assert.Equal(k + 1, log[k]["step"].GetInt32());
            // get_linear_schedule_with_warmup with W = 2, T = 4, at s0 = k steps taken.
            double factor = k < 2 ? k / 2.0 : (4.0 - k) / (4.0 - 2.0);
            Assert.Equal(1e-3 * factor, log[k]["learning_rate"].GetDouble(), 12);
            Assert.True(log[k]["grad_norm"].GetDouble() > 0);
        }
    }

    [Fact]
    public void Resuming_from_a_checkpoint_continues_identically()
    {
        var train = new EncodedDataset(ToyTask(80, 4), Tokenizer, 16);
        var options = new TrainingOptions { NumTrainEpochs = 2, PerDeviceTrainBatchSize = 8, LearningRate = 1e-3, WarmupSteps = 3, GradientAccumulationSteps = 2 };
        using var temp = new TempFolder();
        var straight = NewModel(TinyConfig());
        new Trainer(straight, Tokenizer, options).Train(train, null, Accuracy, "accuracy", Path.Combine(temp.Path, "straight"));

        // Stop after 3 steps (cancellation writes the resumable checkpoint), then resume in a fresh model.
        string split = Path.Combine(temp.Path, "split");
        using var cancel = new CancellationTokenSource();
        var first = NewModel(TinyConfig());
        var progress = new SyncProgress<TrainingProgress>(e => { if (e.Kind == TrainingEventKind.Step && e.Step == 3) cancel.Cancel(); });
        var stopped = new Trainer(first, Tokenizer, options).Train(train, null, Accuracy, "accuracy", split, progress, cancel.Token);
        Assert.True(stopped.Cancelled);
        Assert.Equal(3, stopped.Steps);
        var resumed = NewModel(TinyConfig(), seed: 99);
        var result = new Trainer(resumed, Tokenizer, options).Train(train, null, Accuracy, "accuracy", split, resumeFrom: Path.Combine(split, "checkpoint"));
        Assert.Equal(10, result.Steps);
        Assert.Equal(straight.Parameters.Data, resumed.Parameters.Data);
        var straightLog = File.ReadAllLines(Path.Combine(temp.Path, "straight", TrainingLog.FileName));
        var splitLog = File.ReadAllLines(Path.Combine(split, TrainingLog.FileName));
        Assert.Equal(straightLog, splitLog);

        // Other rows would not replay the same batches: refused, naming both sets of rows.
        var fewer = new EncodedDataset(ToyTask(72, 4), Tokenizer, 16);
        var e = Assert.Throws<InvalidDataException>(() => new Trainer(NewModel(TinyConfig()), Tokenizer, options)
            .Train(fewer, null, Accuracy, "accuracy", Path.Combine(temp.Path, "other"), resumeFrom: Path.Combine(split, "checkpoint")));
        Assert.Contains($"the run being resumed trained on {train.Fingerprint()}; this run has {fewer.Fingerprint()}", e.Message);
        Assert.StartsWith("80 rows, sha256 ", train.Fingerprint());
        Assert.NotEqual(train.Fingerprint(), new EncodedDataset(ToyTask(80, 4), Tokenizer, 3).Fingerprint());
    }

    [Theory]
    [InlineData("--learning-rate", "must be a positive number")]
    [InlineData("--warmup-steps", "not both")]
    [InlineData("--lr-scheduler-type", "polynomial")]
    [InlineData("--gradient-accumulation-steps", "at least 1")]
    public void Bad_or_contradictory_options_are_named(string flag, string message)
    {
        var options = flag switch
        {
            "--learning-rate" => new TrainingOptions { LearningRate = -1 },
            "--warmup-steps" => new TrainingOptions { WarmupSteps = 5, WarmupRatio = 0.1 },
            "--lr-scheduler-type" => new TrainingOptions { LrSchedulerType = "polynomial" },
            _ => new TrainingOptions { GradientAccumulationSteps = 0 },
        };
        var e = Assert.ThrowsAny<ArgumentException>(() => options.Validate());
        Assert.Contains(message, e.Message);
        if (flag != "--lr-scheduler-type") Assert.Contains(flag, e.Message);
    }

    [Fact]
    public void Batch_plans_cover_every_example_once_and_depend_only_on_seed_and_epoch()
    {
        int[] lengths = Enumerable.Range(0, 1000).Select(i => 5 + i * 7919 % 60).ToArray();
        var a = BatchPlan.ForEpoch(lengths, 32, shuffle: true, seed: 5, epoch: 2);
        var b = BatchPlan.ForEpoch(lengths, 32, shuffle: true, seed: 5, epoch: 2);
        Assert.Equal(a.SelectMany(x => x), b.SelectMany(x => x));
        Assert.Equal(Enumerable.Range(0, 1000), a.SelectMany(x => x).Order());
        Assert.NotEqual(a.SelectMany(x => x), BatchPlan.ForEpoch(lengths, 32, true, 5, 3).SelectMany(x => x));
        // Bucketing: the spread of lengths inside a batch is far smaller than across the set.
        double meanSpread = a.Average(batch => batch.Max(i => lengths[i]) - batch.Min(i => lengths[i]));
        Assert.True(meanSpread < 10, $"mean length spread per batch {meanSpread}");
        Assert.Equal(Enumerable.Range(0, 1000), BatchPlan.ForEpoch(lengths, 32, false, 5, 0).SelectMany(x => x));
    }

    [Fact]
    public void Interrupted_folder_swap_keeps_the_previous_version_readable()
    {
        using var temp = new TempFolder();
        string target = Path.Combine(temp.Path, "ckpt");
        AtomicFolder.Write(target, dir => File.WriteAllText(Path.Combine(dir, "a.txt"), "v1"));
        Assert.Throws<IOException>(() => AtomicFolder.Write(target, dir =>
        {
            File.WriteAllText(Path.Combine(dir, "a.txt"), "v2 partial");
            throw new IOException("disk full");
        }));
        Assert.Equal("v1", File.ReadAllText(Path.Combine(AtomicFolder.Resolve(target)!, "a.txt")));
        Assert.Single(Directory.GetDirectories(temp.Path));
    }
}

/// <summary>An <see cref="IProgress{T}"/> that calls back on the reporting thread (Progress&lt;T&gt; posts to the pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
