using DpBert.Checkpoints;
using DpBert.Methods;
using DpBert.Glue;
using DpBert.Planning;
using DpBert.Training;
using DpBert.TorchSharp.Interop;
using DpBert.TorchSharp.Planning;
using DpBert.TorchSharp.Training;
using Xunit.Abstractions;

namespace DpBert.TorchSharp.Tests;

/// <summary>
/// Model folders go both ways. A model fine-tuned on TorchSharp (stage one) loads in the core engine and gives the same
/// logits; a planner trained on TorchSharp (stage two) gives, in the core engine, the same plans and the same accuracy on
/// SST-2 dev sentences as on TorchSharp. Weights survive core to TorchSharp to core bit for bit.
/// </summary>
public class FolderExchangeTests(ITestOutputHelper output)
{
    private static (EncodedDataset Train, EncodedDataset Eval) Sst2(Tokenization.BertTokenizer tokenizer, int train, int eval)
    {
        List<LabeledExample> Examples(string split, int n) =>
            GlueDataset.Load(GlueTask.Sst2, split, SharedFiles.Glue, n).Select(e => new LabeledExample(e.TextA, e.TextB, e.Label, e.Score)).ToList();
        return (new EncodedDataset(Examples("train", train), tokenizer, 48), new EncodedDataset(Examples("dev", eval), tokenizer, 48));
    }

    private static IReadOnlyDictionary<string, double> Accuracy(EncodedDataset data, EvaluationOutput predictions) =>
        GlueTask.Sst2.Evaluate(predictions.PredictedLabels, data.Labels, "dev");

    [Fact]
    public void Weights_survive_core_to_torchsharp_to_core_bit_for_bit()
    {
        var core = ModelFolder.LoadSequenceClassifier(SharedFiles.TinyModel);
        using var torchModel = TorchModelFolder.FromCore(core.Model);
        var back = TorchModelFolder.ToCore(torchModel);
        Assert.Equal(core.Model.Parameters.Data, back.Parameters.Data);
    }

    [Theory]
    [InlineData(global::DpBert.Bert.TokenPooling.Cls, true, "depth_heads")]
    public void A_dpbert_folder_the_torchsharp_engine_cannot_run_is_refused_naming_the_setting(global::DpBert.Bert.TokenPooling input, bool depthHeads, string setting)
    {
        using var folder = new TempFolder();
        var core = ModelFolder.LoadSequenceClassifier(SharedFiles.TinyModel);
        var planner = new global::DpBert.Planning.PlanningModule(core.Config, 1, input, depthHeads);
        DpBertFolder.WriteFiles(folder.Path, core.Model, core.Tokenizer, planner, new PlannerTrainingOptions());
        var e = Assert.Throws<NotSupportedException>(() => TorchModelFolder.LoadDpBert(folder.Path));
        Assert.Contains(setting, e.Message);
    }

    [Fact]
    public void A_model_fine_tuned_and_planned_on_torchsharp_predicts_and_plans_the_same_in_the_core_engine()
    {
        using var folder = new TempFolder();
        var loaded = TorchModelFolder.LoadSequenceClassifier(SharedFiles.TinyModel);
        var (train, eval) = Sst2(loaded.Tokenizer, 256, 200);
        MetricFunction metrics = Accuracy;

        // Stage one on TorchSharp, then the folder in the core engine: the same logits.
        string stageOne = Path.Combine(folder.Path, "sst2");
        var fineTuned = new TorchSharpTrainer(loaded.Model, loaded.Tokenizer, new TrainingOptions { NumTrainEpochs = 1, PerDeviceTrainBatchSize = 32, LearningRate = 1e-3 })
            .Train(train, eval, metrics, "accuracy", stageOne);
        Assert.Equal(8, fineTuned.Steps);
        Assert.True(File.Exists(Path.Combine(stageOne, "eval_results.json")));
        var core = ModelFolder.LoadSequenceClassifier(stageOne);
        using (var reloaded = TorchModelFolder.LoadSequenceClassifier(stageOne).Model)
        {
            var torchLogits = reloaded.PredictLogits(eval, 64);
            var coreLogits = EvaluationOutput.Predict(core.Model, eval, 64).Logits;
            var d = Difference.Of(torchLogits, coreLogits);
            Assert.True(d.MaxAbs <= 1e-4, $"stage-one logits differ by {d.MaxAbs:E2}");
            output.WriteLine($"stage one (TorchSharp) -> core: logits of {eval.Count} dev sentences, max abs diff {d.MaxAbs:E2}");
        }

        // Stage two on TorchSharp from that folder, then the DPBERT folder in the core engine: the same plans and accuracy.
        string stageTwo = Path.Combine(stageOne, "dpbert");
        using var backbone = TorchModelFolder.LoadSequenceClassifier(stageOne).Model;
        var options = new PlannerTrainingOptions { NumTrainEpochs = 1, BatchSize = 32, BackboneLearningRate = 1e-4, Rho = 0.5 };
        var (trained, result) = new TorchSharpPlannerTrainer(backbone, core.Tokenizer, options).Train(train, eval, metrics, stageTwo);
        Assert.True(DpBertFolder.Exists(stageTwo));
        Assert.Equal(8, result.Steps);

        // A threshold between the middle inputs' probabilities for the planned layer (at the widest gap there, so rounding
        // cannot flip a decision), so that inputs take different paths.
        var coreClassifier = DpBertFolder.Load(stageTwo).Classifier;
        var probabilities = coreClassifier.Predict(eval.Batch(Enumerable.Range(0, eval.Count).ToArray()), 0.5).Select(p => (double)p.LayerProbabilities[0]).Order().ToList();
        int gap = Enumerable.Range(eval.Count / 4, eval.Count / 2).MaxBy(i => probabilities[i + 1] - probabilities[i]);
        double theta = (probabilities[gap] + probabilities[gap + 1]) / 2;
        var torchPredictions = AdaptivePredictions.Run(new TorchSharpDpBertClassifier(trained), eval, theta, 64);
        var corePredictions = AdaptivePredictions.Run(coreClassifier, eval, theta, 64);
        Assert.Equal(2, corePredictions.Plans.Distinct().Count());
        var (reloadedModel, _) = TorchModelFolder.LoadDpBert(stageTwo);
        using (reloadedModel)
        {
            var reloadedPredictions = AdaptivePredictions.Run(new TorchSharpDpBertClassifier(reloadedModel), eval, theta, 64);
            Assert.Equal(torchPredictions.Plans, reloadedPredictions.Plans);
        }
        Assert.Equal(torchPredictions.Plans, corePredictions.Plans);
        Assert.Equal(torchPredictions.Output.PredictedLabels, corePredictions.Output.PredictedLabels);
        double torchAccuracy = Accuracy(eval, torchPredictions.Output)["accuracy"], coreAccuracy = Accuracy(eval, corePredictions.Output)["accuracy"];
        Assert.Equal(torchAccuracy, coreAccuracy);
        Assert.Equal(result.FinalMetrics!["mean_layers"], AdaptivePredictions.Run(coreClassifier, eval, 0.5, 64).MeanLayers);
        int distinctPlans = corePredictions.Plans.Distinct().Count();
        output.WriteLine($"stage two (TorchSharp) -> core at theta {theta:F6}: {eval.Count} dev sentences, accuracy {torchAccuracy:P2} on both, identical plans "
            + $"({distinctPlans} distinct, mean layers {corePredictions.MeanLayers:F3}), logits max abs diff {Difference.Of(torchPredictions.Output.Logits, corePredictions.Output.Logits).MaxAbs:E2}");
    }
}
