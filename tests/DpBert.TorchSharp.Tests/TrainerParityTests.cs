using System.Text.Json;
using DpBert.Bert;
using DpBert.Checkpoints;
using DpBert.Methods;
using DpBert.Glue;
using DpBert.Planning;
using DpBert.Training;
using DpBert.TorchSharp.Interop;
using DpBert.TorchSharp.Training;
using Xunit.Abstractions;

namespace DpBert.TorchSharp.Tests;

/// <summary>
/// The trainers of both engines run the same optimisation. From the golden checkpoint (dropout 0) on the same SST-2
/// rows: three stage-one steps (AdamW with weight-decay groups, warm-up, clipping) give the same losses and a model with
/// the same dev logits; three stage-two steps (the same initial planner, batches, gate noise, distillation targets and
/// penalty) give the same losses and gate means at every step, the same planner and the same plans on the dev rows.
/// </summary>
public class TrainerParityTests(ITestOutputHelper output)
{
    private static (EncodedDataset Train, EncodedDataset Dev) Data(Tokenization.BertTokenizer tokenizer)
    {
        List<LabeledExample> Examples(string split, int n) =>
            GlueDataset.Load(GlueTask.Sst2, split, SharedFiles.Glue, n).Select(e => new LabeledExample(e.TextA, e.TextB, e.Label, e.Score)).ToList();
        return (new EncodedDataset(Examples("train", 48), tokenizer, 40), new EncodedDataset(Examples("dev", 64), tokenizer, 40));
    }

    private static List<(double Loss, double? GateMean)> StepRecords(string folder) =>
        TrainingLog.Read(Path.Combine(folder, TrainingLog.FileName)).Where(r => r.ContainsKey("loss") && r.ContainsKey("step") && !r.Keys.Any(k => k.StartsWith("eval_", StringComparison.Ordinal)))
            .Select(r => (r["loss"].GetDouble(), r.TryGetValue("gate_mean", out JsonElement g) ? g.GetDouble() : (double?)null)).ToList();

    private static readonly MetricFunction Accuracy = (data, predictions) => GlueTask.Sst2.Evaluate(predictions.PredictedLabels, data.Labels, "dev");

    [Fact]
    public void Stage_one_and_stage_two_follow_the_same_trajectory_on_both_engines()
    {
        using var folder = new TempFolder();
        var golden = ModelFolder.LoadSequenceClassifier(SharedFiles.TinyModel);
        Assert.Equal(0f, golden.Config.HiddenDropoutProb);
        var (train, dev) = Data(golden.Tokenizer);

        // Stage one.
        var options = new TrainingOptions { MaxSteps = 3, PerDeviceTrainBatchSize = 16, LearningRate = 2e-3, WarmupRatio = 0.2, WeightDecay = 0.01, MaxGradNorm = 0.5, Seed = 7 };
        var (coreOne, stageOne) = StageOneOnBothEngines(golden, options, train, dev, Path.Combine(folder.Path, "one"));

        // Stage two, both from the core engine's stage-one folder.
        var plan = new PlannerTrainingOptions { MaxSteps = 3, BatchSize = 16, PlannerLearningRate = 5e-2, BackboneLearningRate = 1e-3, DistillationWeight = 0.5, Rho = 0.4, Lambda = 2, Seed = 11 };
        string coreTwo = Path.Combine(coreOne, "dpbert"), torchTwo = Path.Combine(coreOne, "dpbert-torchsharp");
        var coreBackbone = ModelFolder.LoadSequenceClassifier(coreOne);
        var coreResult = new PlannerTrainer(coreBackbone.Model, coreBackbone.Tokenizer, plan).Train(train, null, Accuracy, coreTwo);
        using var torchBackbone = TorchModelFolder.LoadSequenceClassifier(coreOne).Model;
        var (torchDpbert, _) = new TorchSharpPlannerTrainer(torchBackbone, coreBackbone.Tokenizer, plan).Train(train, null, Accuracy, torchTwo);
        var (coreSteps, torchSteps) = (StepRecords(coreTwo), StepRecords(torchTwo));
        Assert.Equal(3, torchSteps.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(coreSteps[i].GateMean, torchSteps[i].GateMean);
            Assert.True(Math.Abs(coreSteps[i].Loss - torchSteps[i].Loss) <= 1e-5 * Math.Abs(coreSteps[i].Loss), $"stage-two step {i + 1}: loss {torchSteps[i].Loss} vs {coreSteps[i].Loss}");
        }
        var corePlanner = coreResult.Classifier.Planner.Parameters;
        var (_, torchPlanner) = TorchModelFolder.ToCore(torchDpbert);
        var planner = Difference.Of(torchPlanner.Parameters.Data, corePlanner.Data);
        Assert.True(planner.MaxAbs <= 1e-4, $"planner weights differ by {planner.MaxAbs:E2}");
        var onCore = AdaptivePredictions.Run(DpBertFolder.Load(coreTwo).Classifier, dev, 0.5, 64);
        var onTorch = AdaptivePredictions.Run(DpBertFolder.Load(torchTwo).Classifier, dev, 0.5, 64);
        Assert.Equal(onCore.Plans, onTorch.Plans);
        output.WriteLine($"stage one: 3 steps, losses {string.Join(", ", StepRecords(coreOne).Select(s => s.Loss.ToString("F6")))} (core); dev logits max abs diff {stageOne:E2}");
        output.WriteLine($"stage two: gate means {string.Join(", ", coreSteps.Select(s => s.GateMean))} on both; losses {string.Join(", ", coreSteps.Select(s => s.Loss.ToString("F6")))} (core) vs {string.Join(", ", torchSteps.Select(s => s.Loss.ToString("F6")))}; planner max abs diff {planner.MaxAbs:E2}; identical plans for {dev.Count} dev rows (mean layers {onCore.MeanLayers:F3})");
    }

    /// <summary>
    /// Three stage-one steps from the golden model on each engine into <paramref name="folder"/>/core and /torchsharp: the
    /// same losses at every step, and models with the same dev logits (their largest difference is returned).
    /// </summary>
    private static (string CoreFolder, double LogitDifference) StageOneOnBothEngines(LoadedModel golden, TrainingOptions options,
        EncodedDataset train, EncodedDataset dev, string folder)
    {
        string coreOne = Path.Combine(folder, "core"), torchOne = Path.Combine(folder, "torchsharp");
        new Trainer(golden.Model, golden.Tokenizer, options).Train(train, null, Accuracy, "accuracy", coreOne);
        using (var torchModel = TorchModelFolder.LoadSequenceClassifier(SharedFiles.TinyModel).Model)
            new TorchSharpTrainer(torchModel, golden.Tokenizer, options).Train(train, null, Accuracy, "accuracy", torchOne);
        var (coreSteps, torchSteps) = (StepRecords(coreOne), StepRecords(torchOne));
        Assert.Equal(3, coreSteps.Count);
        Assert.Equal(3, torchSteps.Count);
        for (int i = 0; i < 3; i++) Assert.True(Math.Abs(coreSteps[i].Loss - torchSteps[i].Loss) <= 1e-5 * Math.Abs(coreSteps[i].Loss), $"stage-one step {i + 1}: loss {torchSteps[i].Loss} vs {coreSteps[i].Loss}");
        Assert.NotEqual(coreSteps[0].Loss, coreSteps[2].Loss); // the model did change
        var coreLogits = EvaluationOutput.Predict(ModelFolder.LoadSequenceClassifier(coreOne).Model, dev, 64).Logits;
        var torchLogits = EvaluationOutput.Predict(ModelFolder.LoadSequenceClassifier(torchOne).Model, dev, 64).Logits;
        var difference = Difference.Of(torchLogits, coreLogits);
        Assert.True(difference.MaxAbs <= 1e-4, $"stage one: dev logits differ by {difference.MaxAbs:E2}");
        return (coreOne, difference.MaxAbs);
    }

    [Fact]
    public void Layer_wise_learning_rates_follow_the_same_trajectory_on_both_engines()
    {
        // Decay 0.5 on the golden model: its layers and embeddings train at rates 2x, 4x... below the classifier's, in
        // libtorch as one parameter group per rate. Both engines agree, and the run differs from one without decay.
        using var folder = new TempFolder();
        var golden = ModelFolder.LoadSequenceClassifier(SharedFiles.TinyModel);
        var (train, dev) = Data(golden.Tokenizer);
        var plain = new TrainingOptions { MaxSteps = 3, PerDeviceTrainBatchSize = 16, LearningRate = 2e-3, WarmupRatio = 0.2, WeightDecay = 0.01, MaxGradNorm = 0.5, Seed = 7 };
        var (decayedFolder, difference) = StageOneOnBothEngines(golden, plain with { LayerLrDecay = 0.5 }, train, dev, Path.Combine(folder.Path, "decayed"));
        string plainFolder = Path.Combine(folder.Path, "plain");
        new Trainer(ModelFolder.LoadSequenceClassifier(SharedFiles.TinyModel).Model, golden.Tokenizer, plain).Train(train, null, Accuracy, "accuracy", plainFolder);
        var decayed = ModelFolder.LoadSequenceClassifier(decayedFolder).Model.Parameters;
        var undecayed = ModelFolder.LoadSequenceClassifier(plainFolder).Model.Parameters;
        var start = ModelFolder.LoadSequenceClassifier(SharedFiles.TinyModel).Model.Parameters; // golden.Model was trained in place
        double Moved(ParameterSet p, string key) => Difference.Of(p.Span(key).ToArray(), start.Span(key).ToArray()).MaxAbs;
        const string Embeddings = "bert.embeddings.word_embeddings.weight", Head = "classifier.weight";
        Assert.True(Moved(decayed, Embeddings) < 0.5 * Moved(undecayed, Embeddings), $"embeddings moved {Moved(decayed, Embeddings):E2} with decay, {Moved(undecayed, Embeddings):E2} without");
        Assert.True(Moved(decayed, Head) > 0.8 * Moved(undecayed, Head), $"classifier moved {Moved(decayed, Head):E2} with decay, {Moved(undecayed, Head):E2} without");
        output.WriteLine($"layer-wise decay 0.5: dev logits max abs diff between engines {difference:E2}; word embeddings moved {Moved(decayed, Embeddings):E2} (without decay {Moved(undecayed, Embeddings):E2}), classifier {Moved(decayed, Head):E2} ({Moved(undecayed, Head):E2})");
    }
}
